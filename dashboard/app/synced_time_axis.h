#pragma once
// One time axis for several charts: zooming or panning any of them (rubber band, right click to
// zoom out) moves all of them, so throughput, KV cache and power line up at every zoom level.

#include <QObject>
#include <QPointer>
#include <QVector>

class QValueAxis;

namespace infermeter::dashboard_app {

class SyncedTimeAxis : public QObject {
  Q_OBJECT

 public:
  explicit SyncedTimeAxis(QObject* parent = nullptr);

  // Adds a chart's x axis; it takes the shared range at once.
  void Add(QValueAxis* axis);
  void Clear();
  // The range every axis spans when nothing is zoomed.
  void SetFullRange(double min_s, double max_s);
  void ResetZoom();
  double min() const { return min_; }
  double max() const { return max_; }

 signals:
  void rangeChanged(double min_s, double max_s);

 private:
  void Apply(double min_s, double max_s);

  QVector<QPointer<QValueAxis>> axes_;
  double full_min_ = 0, full_max_ = 1;
  double min_ = 0, max_ = 1;
  bool applying_ = false;
};

}  // namespace infermeter::dashboard_app
