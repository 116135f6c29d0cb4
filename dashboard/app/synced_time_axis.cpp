#include "synced_time_axis.h"

#include <QValueAxis>

#include "chart_factory.h"

namespace infermeter::dashboard_app {

SyncedTimeAxis::SyncedTimeAxis(QObject* parent) : QObject(parent) {}

void SyncedTimeAxis::Add(QValueAxis* axis) {
  axes_.append(axis);
  axis->setRange(min_, max_);
  connect(axis, &QValueAxis::rangeChanged, this, [this](qreal min_s, qreal max_s) {
    if (!applying_) Apply(min_s, max_s);
  });
}

void SyncedTimeAxis::Clear() {
  for (const QPointer<QValueAxis>& axis : axes_) {
    if (axis) disconnect(axis, nullptr, this, nullptr);
  }
  axes_.clear();
}

void SyncedTimeAxis::SetFullRange(double min_s, double max_s) {
  full_min_ = min_s;
  full_max_ = max_s > min_s ? max_s : min_s + 1;
  Apply(full_min_, full_max_);
}

void SyncedTimeAxis::ResetZoom() { Apply(full_min_, full_max_); }

void SyncedTimeAxis::Apply(double min_s, double max_s) {
  applying_ = true;  // setRange on the others emits rangeChanged back to us
  for (const QPointer<QValueAxis>& axis : axes_) {
    if (axis) {
      axis->setRange(min_s, max_s);
      SetNiceTicks(axis);
    }
  }
  applying_ = false;
  min_ = min_s;
  max_ = max_s;
  emit rangeChanged(min_s, max_s);
}

}  // namespace infermeter::dashboard_app
