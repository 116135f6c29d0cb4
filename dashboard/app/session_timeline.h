#pragma once
// The per-session timeline of an agentic run: one row per session, each turn a bar from its send
// to its end (the part before the first token darker), the space between a turn's end and the
// next turn's send being tool and think time. Painted directly: a chart library has no Gantt.

#include <QWidget>

#include <vector>

#include "infermeter/dashboard/run_snapshot.h"

namespace infermeter::dashboard_app {

class SessionTimeline : public QWidget {
  Q_OBJECT

 public:
  explicit SessionTimeline(QWidget* parent = nullptr);

  void SetSessions(std::vector<dashboard::Session> sessions);
  const std::vector<dashboard::Session>& sessions() const { return sessions_; }
  QSize sizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  std::vector<dashboard::Session> sessions_;
  double end_s_ = 1;
};

}  // namespace infermeter::dashboard_app
