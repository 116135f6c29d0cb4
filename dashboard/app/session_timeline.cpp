#include "session_timeline.h"

#include <QPaintEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace infermeter::dashboard_app {
namespace {

constexpr int kRowHeightPx = 18;
constexpr int kLabelWidthPx = 120;
constexpr int kHeaderHeightPx = 40;
constexpr int kRightMarginPx = 16;

// Axis steps of 1, 2 or 5 x 10^n seconds giving about `ticks` ticks over `span_s`.
double TickStep(double span_s, int ticks) {
  const double raw = span_s / std::max(1, ticks);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

}  // namespace

SessionTimeline::SessionTimeline(QWidget* parent) : QWidget(parent) {
  setAutoFillBackground(true);
  setBackgroundRole(QPalette::Base);
}

void SessionTimeline::SetSessions(std::vector<dashboard::Session> sessions) {
  sessions_ = std::move(sessions);
  end_s_ = 1;
  for (const dashboard::Session& s : sessions_) {
    for (const dashboard::Turn& t : s.turns) {
      end_s_ = std::max(end_s_, t.done_s.value_or(t.first_token_s.value_or(t.sent_s)));
    }
  }
  setMinimumHeight(kHeaderHeightPx + kRowHeightPx * static_cast<int>(sessions_.size()) + 8);
  updateGeometry();
  update();
}

QSize SessionTimeline::sizeHint() const { return {900, minimumHeight()}; }

void SessionTimeline::paintEvent(QPaintEvent* event) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing, false);
  const QPalette& pal = palette();
  const QColor text = pal.color(QPalette::Text);
  const QColor waiting(214, 137, 16);    // sent, no token yet
  const QColor streaming(31, 119, 180);  // first token to end
  const QColor failed(214, 39, 40);

  if (sessions_.empty()) {
    painter.setPen(text);
    painter.drawText(rect(), Qt::AlignCenter,
                     "No sessions: this run's workload has no multi-turn sessions.");
    return;
  }
  const int plot_width = std::max(10, width() - kLabelWidthPx - kRightMarginPx);
  const auto x_of = [&](double s) {
    return kLabelWidthPx + static_cast<int>(s / end_s_ * plot_width);
  };

  // Legend and time axis.
  painter.setPen(text);
  int legend_x = kLabelWidthPx;
  for (const auto& [color, label] :
       {std::pair{waiting, "waiting for the first token"}, std::pair{streaming, "streaming"},
        std::pair{failed, "failed"}}) {
    painter.fillRect(legend_x, 4, 12, 10, color);
    painter.drawText(legend_x + 16, 14, label);
    legend_x += 24 + painter.fontMetrics().horizontalAdvance(label);
  }
  painter.drawText(legend_x, 14, "gaps between turns: tool and think time");
  const double step = TickStep(end_s_, 10);
  for (double t = 0; t <= end_s_ + 1e-9; t += step) {
    const int x = x_of(t);
    painter.setPen(pal.color(QPalette::Mid));
    painter.drawLine(x, kHeaderHeightPx - 6, x, height());
    painter.setPen(text);
    painter.drawText(x + 2, kHeaderHeightPx - 8, QString("%1 s").arg(t, 0, 'g', 4));
  }

  const int first = std::max(0, (event->rect().top() - kHeaderHeightPx) / kRowHeightPx);
  const int last = std::min(static_cast<int>(sessions_.size()) - 1,
                            (event->rect().bottom() - kHeaderHeightPx) / kRowHeightPx);
  for (int row = first; row <= last; ++row) {
    const dashboard::Session& session = sessions_[static_cast<std::size_t>(row)];
    const int y = kHeaderHeightPx + row * kRowHeightPx;
    painter.setPen(text);
    painter.drawText(QRect(4, y, kLabelWidthPx - 8, kRowHeightPx), Qt::AlignVCenter | Qt::AlignLeft,
                     painter.fontMetrics().elidedText(QString::fromStdString(session.id),
                                                      Qt::ElideMiddle, kLabelWidthPx - 8));
    for (const dashboard::Turn& turn : session.turns) {
      const double first_token_s = turn.first_token_s.value_or(turn.done_s.value_or(turn.sent_s));
      const double done_s = turn.done_s.value_or(first_token_s);
      const QRect bar_rect(x_of(turn.sent_s), y + 3, std::max(1, x_of(done_s) - x_of(turn.sent_s)),
                           kRowHeightPx - 6);
      if (turn.status != results::RequestStatus::kOk) {
        painter.fillRect(bar_rect, failed);
        continue;
      }
      painter.fillRect(bar_rect, streaming);
      painter.fillRect(
          QRect(bar_rect.left(), bar_rect.top(),
                std::max(1, x_of(first_token_s) - x_of(turn.sent_s)), bar_rect.height()),
          waiting);
    }
  }
}

}  // namespace infermeter::dashboard_app
