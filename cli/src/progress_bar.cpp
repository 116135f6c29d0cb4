#include "progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "infermeter/core/clock.h"

namespace infermeter::cli {
namespace {

std::string Clock(double seconds) {
  const auto s = static_cast<std::int64_t>(std::max(0.0, seconds));
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

}  // namespace

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), terminal_(isatty(STDERR_FILENO) == 1) {}

void ProgressBar::Update(const harness::LoadProgress& p, bool final) {
  if (!enabled_ || p.start_ns == 0) return;
  const std::int64_t now_ns = MonotonicNs();
  const double elapsed_s = static_cast<double>(now_ns - p.start_ns) / 1e9;
  // Output tokens/s over a moving window: 2 s on a terminal, the 10 s between log lines
  // otherwise (updates come every 250 ms, too short a window between an agent's turns). The
  // final line gives the run's average.
  const std::int64_t window_ns = terminal_ ? 2'000'000'000 : 10'000'000'000;
  if (last_tokens_ns_ == 0) {
    last_tokens_ns_ = p.start_ns;
  } else if (now_ns - last_tokens_ns_ >= window_ns) {
    tokens_per_s_ = static_cast<double>(p.output_tokens - last_tokens_) /
                    (static_cast<double>(now_ns - last_tokens_ns_) / 1e9);
    last_tokens_ = p.output_tokens;
    last_tokens_ns_ = now_ns;
  }
  if (final && elapsed_s > 0) tokens_per_s_ = static_cast<double>(p.output_tokens) / elapsed_s;

  const std::int64_t total = std::max<std::int64_t>(p.planned_requests, 1);
  const double fraction =
      std::clamp(static_cast<double>(p.finished_requests) / static_cast<double>(total), 0.0, 1.0);
  const std::string eta =
      fraction > 0.02 && !final ? Clock(elapsed_s * (1 - fraction) / fraction) : "--:--";
  const std::string figures = fmt::format(
      "{}/{} req | {:.0f} tok/s | {} in flight | {} elapsed | ETA {}", p.finished_requests,
      p.planned_requests, tokens_per_s_, p.in_flight_requests, Clock(elapsed_s), eta);
  if (terminal_) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r\033[K%s [%s] %s", label_.c_str(), bar.c_str(), figures.c_str());
    if (final) std::fputc('\n', stderr);
    std::fflush(stderr);
    return;
  }
  if (final || now_ns - last_line_ns_ >= 10'000'000'000) {
    std::fprintf(stderr, "infermeter: %s: %s\n", label_.c_str(), figures.c_str());
    std::fflush(stderr);
    last_line_ns_ = now_ns;
  }
}

}  // namespace infermeter::cli
