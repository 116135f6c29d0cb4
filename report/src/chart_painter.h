#pragma once
// Drawing a ChartSpec with cairo, independent of the surface it lands on (PNG or SVG).

#include <cstddef>
#include <cstdint>

#include <cairo.h>

#include "infermeter/report/chart_image.h"

namespace infermeter::report {

// Line i's colour as 0xRRGGBB (the palette LineColour() names).
std::uint32_t LineRgb(std::size_t i);

// Draws the whole chart on `cr`, whose user space is spec.width_px by spec.height_px (the
// caller scales it for HiDPI). Errors are left in cr's status for the caller to check.
void PaintChart(cairo_t* cr, const ChartSpec& spec);

}  // namespace infermeter::report
