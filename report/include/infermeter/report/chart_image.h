#pragma once
// Charts for `infermeter report` as image files, drawn with cairo (no Qt): PNG for HTML (as
// base64) and for files beside a Markdown report, SVG where a vector image is wanted. Line
// charts only: time series and CDFs, one colour per line, a legend below the plot.
// Every function is thread-safe (each call draws on its own surface).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "infermeter/dashboard/downsample.h"

namespace infermeter::report {

struct ChartLine {
  std::string name;                      // legend entry: "run 1 (h100): output"
  std::vector<dashboard::Point> points;  // in x order; non-finite points are skipped
  bool steps = false;  // draw as a step function (value holds until the next point)
};

struct ChartSpec {
  std::string title;    // "Output throughput"
  std::string x_title;  // "time (s)" / "TTFT (ms)"
  std::string y_title;  // "tokens/s" / "fraction of requests"
  std::vector<ChartLine> lines;
  // Fixed y range (a CDF: 0..1); otherwise from the data, y starting at 0 when all y >= 0.
  std::optional<double> y_min, y_max;
  // Logarithmic x (latency CDFs with a long tail; ticks at 1-2-5 per decade). Points with
  // x <= 0 cannot be placed on it and are skipped.
  bool log_x = false;
  int width_px = 900, height_px = 360;  // at scale 1
};

// PNG file bytes of the chart, width_px * scale by height_px * scale pixels (scale 2: HiDPI).
// A chart without points shows "no data". Throws infermeter::Error (core/error.h) when the size
// or scale is not positive or cairo fails.
std::string RenderChartPng(const ChartSpec& spec, double scale = 1.0);

// SVG document text of the same chart, width_px by height_px (cairo's SVG surface; text as
// glyph outlines, so it looks the same without DejaVu Sans installed). Throws like
// RenderChartPng.
std::string RenderChartSvg(const ChartSpec& spec);

// The colour line i is drawn in, "#rrggbb", so an HTML legend or table can match it: the
// Okabe-Ito palette (distinct under the common colour-vision deficiencies), repeating after 8.
std::string LineColour(std::size_t i);

}  // namespace infermeter::report
