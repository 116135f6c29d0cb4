#pragma once
// Where a chart axis puts its ticks and what their labels say: steps of 1, 2 or 5 times a power
// of ten, so a reader can interpolate between gridlines, and labels short enough to sit under
// them ("0", "0.5", "2k", "1.5M"). Pure arithmetic, no drawing, so it is tested on its own.

#include <string>
#include <vector>

namespace infermeter::report {

struct AxisTicks {
  double min = 0;  // the axis range: the data's, or widened to whole steps
  double max = 1;
  double step = 0;             // distance between linear ticks; 0 for logarithmic ones
  std::vector<double> values;  // tick positions inside [min, max], ascending
};

// Linear ticks at whole multiples of a 1-2-5 step, at most about `max_ticks` of them. With
// `widen_to_steps` the range grows outward to the nearest ticks (a y axis that ends on a
// gridline); otherwise it stays [min, max] and only ticks inside it are kept. An empty range
// (min == max) is widened around its value, so a single point or a constant series has an axis.
AxisTicks LinearTicks(double min, double max, int max_ticks, bool widen_to_steps);

// Ticks for a logarithmic axis over [min, max] (both > 0): the richest of 1..9, 1-2-5 or 1 per
// decade (every second, third... decade for very wide ranges) that keeps at most `max_ticks`.
// A range inside one decade falls back to linear ticks placed on the log scale.
AxisTicks LogTicks(double min, double max, int max_ticks);

// A tick label with as many decimals as `step` needs (so neighbouring labels differ) and a
// k/M/G/T suffix for large values: FormatTick(1500, 500) == "1.5k", FormatTick(0.25, 0.05) ==
// "0.25", FormatTick(0, 1) == "0". Trailing zeros are dropped ("2k", not "2.0k").
std::string FormatTick(double value, double step);

}  // namespace infermeter::report
