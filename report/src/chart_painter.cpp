#include "chart_painter.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "axis_ticks.h"
#include "cairo_ptr.h"
#include "chart_text.h"

namespace infermeter::report {
namespace {

// Sizes in user units (pixels at scale 1).
constexpr char kFontFace[] = "DejaVu Sans";
constexpr double kTitleSize = 15;
constexpr double kAxisTitleSize = 12;
constexpr double kTickSize = 11;
constexpr double kLegendSize = 12;
constexpr double kPad = 12;          // around the whole chart
constexpr double kLabelGap = 6;      // between the plot and its tick labels
constexpr double kLineWidth = 2;     // data lines
constexpr double kLegendRow = 18;    // height of one legend row
constexpr double kSwatch = 22;       // length of the line sample in front of a legend entry
constexpr double kLegendGap = 18;    // between legend columns
constexpr double kMinLabelGap = 10;  // between neighbouring x tick labels

// Okabe & Ito, "Color Universal Design" (2008), ordered so the first lines get the colours with
// the most contrast on white; yellow, the palest, comes last.
constexpr std::uint32_t kPalette[] = {0x0072B2, 0xE69F00, 0x009E73, 0xD55E00,
                                      0xCC79A7, 0x56B4E9, 0x000000, 0xF0E442};

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
  double Right() const { return x + w; }
  double Bottom() const { return y + h; }
};

void SetColour(cairo_t* cr, std::uint32_t rgb) {
  cairo_set_source_rgb(cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0,
                       (rgb & 0xFF) / 255.0);
}

void SetFont(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, kFontFace, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

enum class Align { kLeft, kCentre, kRight };

// Draws `text` horizontally aligned on x, vertically centred on y.
void DrawText(cairo_t* cr, const std::string& text, double x, double y, Align align) {
  cairo_font_extents_t font;
  cairo_font_extents(cr, &font);
  const double width = TextWidth(cr, text);
  if (align == Align::kCentre) x -= width / 2;
  if (align == Align::kRight) x -= width;
  cairo_move_to(cr, x, y + (font.ascent - font.descent) / 2);
  cairo_show_text(cr, text.c_str());
}

bool Drawable(const dashboard::Point& p, bool log_x) {
  return std::isfinite(p.x) && std::isfinite(p.y) && (!log_x || p.x > 0);
}

// What the drawable points of all lines span.
struct DataRange {
  std::size_t points = 0;
  double min_x = 0, max_x = 0, min_y = 0, max_y = 0;
};

DataRange RangeOf(const ChartSpec& spec) {
  DataRange range;
  for (const ChartLine& line : spec.lines) {
    for (const dashboard::Point& p : line.points) {
      if (!Drawable(p, spec.log_x)) continue;
      if (range.points++ == 0) {
        range.min_x = range.max_x = p.x;
        range.min_y = range.max_y = p.y;
      }
      range.min_x = std::min(range.min_x, p.x);
      range.max_x = std::max(range.max_x, p.x);
      range.min_y = std::min(range.min_y, p.y);
      range.max_y = std::max(range.max_y, p.y);
    }
  }
  return range;
}

// Maps data values to user-space coordinates along one axis.
struct Scale {
  double min = 0, max = 1;
  bool log = false;
  double from_px = 0, to_px = 1;  // where min and max land (y runs upward: from > to)

  double operator()(double value) const {
    const double t =
        log ? (std::log10(value) - std::log10(min)) / (std::log10(max) - std::log10(min))
            : (value - min) / (max - min);
    // Far-off values (a fixed y range) are clamped before cairo's fixed-point coordinates
    // overflow; the clip hides them anyway.
    return from_px + std::clamp(t, -100.0, 100.0) * (to_px - from_px);
  }
};

std::string TickLabel(const AxisTicks& ticks, double value) {
  return FormatTick(value, ticks.step > 0 ? ticks.step : value);
}

double WidestLabel(cairo_t* cr, const AxisTicks& ticks) {
  double widest = 0;
  for (double value : ticks.values)
    widest = std::max(widest, TextWidth(cr, TickLabel(ticks, value)));
  return widest;
}

AxisTicks YTicks(const ChartSpec& spec, const DataRange& data, int max_ticks) {
  if (spec.y_min && spec.y_max && *spec.y_min < *spec.y_max) {
    return LinearTicks(*spec.y_min, *spec.y_max, max_ticks, false);
  }
  const double low = spec.y_min.value_or(data.min_y >= 0 ? 0 : data.min_y);
  const double high = spec.y_max.value_or(data.max_y);
  return LinearTicks(std::min(low, high), std::max(low, high), max_ticks, true);
}

// The densest x ticks whose labels do not touch, trying fewer until they fit (the font is set).
AxisTicks XTicks(cairo_t* cr, const ChartSpec& spec, const DataRange& data, const Rect& plot) {
  AxisTicks ticks;
  for (int max_ticks = std::max(2, static_cast<int>(plot.w / 75)); max_ticks >= 2; --max_ticks) {
    ticks = spec.log_x ? LogTicks(data.min_x, data.max_x, max_ticks)
                       : LinearTicks(data.min_x, data.max_x, max_ticks, false);
    const Scale x{ticks.min, ticks.max, spec.log_x, plot.x, plot.Right()};
    bool fits = true;
    for (std::size_t i = 1; i < ticks.values.size() && fits; ++i) {
      const double room = x(ticks.values[i]) - x(ticks.values[i - 1]);
      const double needed = (TextWidth(cr, TickLabel(ticks, ticks.values[i])) +
                             TextWidth(cr, TickLabel(ticks, ticks.values[i - 1]))) /
                                2 +
                            kMinLabelGap;
      fits = room >= needed;
    }
    if (fits) break;
  }
  return ticks;
}

// Legend entries laid out in equal columns, row by row, below the plot.
struct Legend {
  std::vector<std::size_t> lines;  // indexes into spec.lines (unnamed lines have no entry)
  std::vector<std::string> names;  // elided to fit a column
  int columns = 1;
  double column_w = 0;
  double Height() const {
    const auto per_row = static_cast<std::size_t>(columns);
    return static_cast<double>((lines.size() + per_row - 1) / per_row) * kLegendRow;
  }
};

Legend LayOutLegend(cairo_t* cr, const ChartSpec& spec, double width) {
  Legend legend;
  for (std::size_t i = 0; i < spec.lines.size(); ++i) {
    if (!spec.lines[i].name.empty()) legend.lines.push_back(i);
  }
  if (legend.lines.empty()) return legend;
  SetFont(cr, kLegendSize);
  // At least two columns' worth of room per name once there are two lines, so eight lines take
  // four rows at most; longer names are elided.
  const double slots = legend.lines.size() > 1 ? 2 : 1;
  const double max_text = (width + kLegendGap) / slots - kLegendGap - kSwatch - 6;
  double widest = 0;
  for (std::size_t i : legend.lines) {
    legend.names.push_back(ElideMiddle(cr, ValidUtf8(spec.lines[i].name), max_text));
    widest = std::max(widest, TextWidth(cr, legend.names.back()));
  }
  legend.column_w = kSwatch + 6 + widest + kLegendGap;
  legend.columns = std::clamp(static_cast<int>((width + kLegendGap) / legend.column_w), 1,
                              static_cast<int>(legend.lines.size()));
  return legend;
}

void DrawLegend(cairo_t* cr, const Legend& legend, double x0, double y0) {
  SetFont(cr, kLegendSize);
  for (std::size_t k = 0; k < legend.lines.size(); ++k) {
    const double x = x0 + static_cast<double>(k % legend.columns) * legend.column_w;
    const double y = y0 + static_cast<double>(k / legend.columns) * kLegendRow + kLegendRow / 2;
    SetColour(cr, LineRgb(legend.lines[k]));
    cairo_set_line_width(cr, kLineWidth + 1);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + kSwatch, y);
    cairo_stroke(cr);
    SetColour(cr, 0x222222);
    DrawText(cr, legend.names[k], x + kSwatch + 6, y, Align::kLeft);
  }
}

void DrawLine(cairo_t* cr, const ChartLine& line, const Scale& x, const Scale& y, bool log_x) {
  bool started = false, moved = false;
  double first_x = 0, first_y = 0, last_y = 0;
  for (const dashboard::Point& p : line.points) {
    if (!Drawable(p, log_x)) continue;
    const double px = x(p.x), py = y(p.y);
    if (!started) {
      cairo_move_to(cr, px, py);
      started = true;
      first_x = px;
      first_y = py;
    } else {
      if (line.steps) cairo_line_to(cr, px, last_y);
      cairo_line_to(cr, px, py);
      moved = moved || std::fabs(px - first_x) > 0.01 || std::fabs(py - first_y) > 0.01;
    }
    last_y = py;
  }
  if (started && !moved) {  // a lone point (or all on one spot) has no length: mark it
    cairo_new_path(cr);
    cairo_arc(cr, first_x, first_y, kLineWidth * 1.5, 0, 2 * std::numbers::pi);
    cairo_fill(cr);
    return;
  }
  cairo_stroke(cr);
}

// Axis-aligned 1-unit lines on pixel centres, so gridlines stay crisp at any integer scale.
double Crisp(double v) { return std::floor(v) + 0.5; }

void DrawGridAndLabels(cairo_t* cr, const AxisTicks& x_ticks, const Scale& x,
                       const AxisTicks& y_ticks, const Scale& y, const Rect& plot) {
  cairo_set_line_width(cr, 1);
  SetColour(cr, 0xE4E4E4);
  for (double value : x_ticks.values) {
    cairo_move_to(cr, Crisp(x(value)), plot.y);
    cairo_line_to(cr, Crisp(x(value)), plot.Bottom());
  }
  for (double value : y_ticks.values) {
    cairo_move_to(cr, plot.x, Crisp(y(value)));
    cairo_line_to(cr, plot.Right(), Crisp(y(value)));
  }
  cairo_stroke(cr);
  SetColour(cr, 0x888888);
  cairo_move_to(cr, Crisp(plot.x), plot.y);
  cairo_line_to(cr, Crisp(plot.x), Crisp(plot.Bottom()));
  cairo_line_to(cr, plot.Right(), Crisp(plot.Bottom()));
  cairo_stroke(cr);

  SetFont(cr, kTickSize);
  SetColour(cr, 0x444444);
  for (double value : x_ticks.values) {
    DrawText(cr, TickLabel(x_ticks, value), x(value), plot.Bottom() + kLabelGap + kTickSize / 2,
             Align::kCentre);
  }
  for (double value : y_ticks.values) {
    DrawText(cr, TickLabel(y_ticks, value), plot.x - kLabelGap, y(value), Align::kRight);
  }
}

void DrawAxisTitles(cairo_t* cr, const ChartSpec& spec, const Rect& plot, double x_title_y) {
  SetFont(cr, kAxisTitleSize);
  SetColour(cr, 0x333333);
  if (!spec.x_title.empty()) {
    const std::string text = ElideMiddle(cr, ValidUtf8(spec.x_title), plot.w);
    DrawText(cr, text, plot.x + plot.w / 2, x_title_y, Align::kCentre);
  }
  if (!spec.y_title.empty()) {
    const std::string text = ElideMiddle(cr, ValidUtf8(spec.y_title), plot.h);
    cairo_save(cr);
    cairo_translate(cr, kPad + kAxisTitleSize / 2, plot.y + plot.h / 2);
    cairo_rotate(cr, -std::numbers::pi / 2);
    DrawText(cr, text, 0, 0, Align::kCentre);
    cairo_restore(cr);
  }
}

void DrawNoData(cairo_t* cr, const Rect& plot) {
  cairo_set_line_width(cr, 1);
  SetColour(cr, 0xCCCCCC);
  cairo_rectangle(cr, Crisp(plot.x), Crisp(plot.y), std::floor(plot.w), std::floor(plot.h));
  cairo_stroke(cr);
  SetFont(cr, 14);
  SetColour(cr, 0x777777);
  DrawText(cr, "no data", plot.x + plot.w / 2, plot.y + plot.h / 2, Align::kCentre);
}

}  // namespace

std::uint32_t LineRgb(std::size_t i) { return kPalette[i % std::size(kPalette)]; }

void PaintChart(cairo_t* cr, const ChartSpec& spec) {
  const double width = spec.width_px, height = spec.height_px;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  // Unhinted metrics: text measures the same at every scale and in SVG, so layouts match.
  FontOptionsPtr options(cairo_font_options_create());
  cairo_font_options_set_hint_metrics(options.get(), CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options(cr, options.get());

  double top = kPad;
  if (!spec.title.empty()) {
    SetFont(cr, kTitleSize, true);
    SetColour(cr, 0x1A1A1A);
    const std::string title = ElideMiddle(cr, ValidUtf8(spec.title), width - 2 * kPad);
    DrawText(cr, title, kPad, top + kTitleSize / 2, Align::kLeft);
    top += kTitleSize + 12;
  }
  const DataRange data = RangeOf(spec);
  if (data.points == 0) {
    DrawNoData(cr,
               {kPad, top, std::max(1.0, width - 2 * kPad), std::max(1.0, height - top - kPad)});
    return;
  }

  const Legend legend = LayOutLegend(cr, spec, width - 2 * kPad);
  const double x_title_h = spec.x_title.empty() ? 0 : kAxisTitleSize + 8;
  const double legend_h = legend.lines.empty() ? 0 : legend.Height() + 8;
  const double below_plot = kLabelGap + kTickSize + 6 + x_title_h + legend_h + kPad;
  Rect plot;
  plot.y = top + kTickSize / 2;  // room for the top y label, centred on its gridline
  plot.h = std::max(1.0, height - below_plot - plot.y);

  SetFont(cr, kTickSize);
  const AxisTicks y_ticks = YTicks(spec, data, std::max(2, static_cast<int>(plot.h / 36)));
  const double y_title_w = spec.y_title.empty() ? 0 : kAxisTitleSize + 8;
  plot.x = kPad + y_title_w + WidestLabel(cr, y_ticks) + kLabelGap;
  // Half a label's room on the right, so the last x label is not cut off.
  plot.w = std::max(1.0, width - kPad - 14 - plot.x);
  const AxisTicks x_ticks = XTicks(cr, spec, data, plot);

  const Scale x{x_ticks.min, x_ticks.max, spec.log_x, plot.x, plot.Right()};
  const Scale y{y_ticks.min, y_ticks.max, false, plot.Bottom(), plot.y};
  DrawGridAndLabels(cr, x_ticks, x, y_ticks, y, plot);
  const double x_title_y = plot.Bottom() + kLabelGap + kTickSize + 6 + kAxisTitleSize / 2;
  DrawAxisTitles(cr, spec, plot, x_title_y);

  cairo_save(cr);
  // The clip reaches half a line width past the plot, so a line along an axis is drawn whole.
  cairo_rectangle(cr, plot.x - kLineWidth / 2, plot.y - kLineWidth / 2, plot.w + kLineWidth,
                  plot.h + kLineWidth);
  cairo_clip(cr);
  cairo_set_line_width(cr, kLineWidth);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (std::size_t i = 0; i < spec.lines.size(); ++i) {
    SetColour(cr, LineRgb(i));
    DrawLine(cr, spec.lines[i], x, y, spec.log_x);
  }
  cairo_restore(cr);

  if (!legend.lines.empty()) {
    DrawLegend(cr, legend, kPad, plot.Bottom() + kLabelGap + kTickSize + 6 + x_title_h + 8);
  }
}

}  // namespace infermeter::report
