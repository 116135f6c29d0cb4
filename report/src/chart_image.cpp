#include "infermeter/report/chart_image.h"

#include <cmath>
#include <new>

#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>

#include "cairo_ptr.h"
#include "chart_painter.h"
#include "infermeter/core/error.h"

namespace infermeter::report {
namespace {

// cairo's stream callback: appends what it writes to the std::string behind `closure`.
cairo_status_t AppendTo(void* closure, const unsigned char* data, unsigned int length) noexcept {
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
  } catch (const std::bad_alloc&) {
    return CAIRO_STATUS_NO_MEMORY;  // exceptions must not cross cairo's C frames
  }
}

void ThrowIfFailed(cairo_status_t status, const ChartSpec& spec, const char* doing) {
  if (status == CAIRO_STATUS_SUCCESS) return;
  throw Error(
      fmt::format("chart '{}': {}: cairo: {}", spec.title, doing, cairo_status_to_string(status)));
}

// Pixels along one side at `scale`; throws unless positive.
int Pixels(int size_px, double scale, const ChartSpec& spec) {
  const double pixels = std::round(size_px * scale);
  if (!(pixels >= 1 && pixels <= 32767)) {
    throw Error(fmt::format("chart '{}': {} px at scale {} is not a drawable size (1 to 32767)",
                            spec.title, size_px, scale));
  }
  return static_cast<int>(pixels);
}

void Draw(cairo_surface_t* surface, const ChartSpec& spec, double scale) {
  ContextPtr cr(cairo_create(surface));
  cairo_scale(cr.get(), scale, scale);
  PaintChart(cr.get(), spec);
  ThrowIfFailed(cairo_status(cr.get()), spec, "drawing");
}

}  // namespace

std::string RenderChartPng(const ChartSpec& spec, double scale) {
  const int width = Pixels(spec.width_px, scale, spec);
  const int height = Pixels(spec.height_px, scale, spec);
  // RGB24: the background is opaque white, and the PNG is smaller without an alpha channel.
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
  ThrowIfFailed(cairo_surface_status(surface.get()), spec, "creating the image");
  Draw(surface.get(), spec, scale);
  std::string png;
  ThrowIfFailed(cairo_surface_write_to_png_stream(surface.get(), AppendTo, &png), spec,
                "writing PNG");
  return png;
}

std::string RenderChartSvg(const ChartSpec& spec) {
  const int width = Pixels(spec.width_px, 1, spec);
  const int height = Pixels(spec.height_px, 1, spec);
  std::string svg;
  SurfacePtr surface(cairo_svg_surface_create_for_stream(AppendTo, &svg, width, height));
  ThrowIfFailed(cairo_surface_status(surface.get()), spec, "creating the SVG");
  // Pixels rather than cairo 1.16's points, so the SVG is as large in a browser as the PNG.
  cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PX);
  Draw(surface.get(), spec, 1);
  cairo_surface_finish(surface.get());  // writes the document's end into `svg`
  ThrowIfFailed(cairo_surface_status(surface.get()), spec, "writing SVG");
  return svg;
}

std::string LineColour(std::size_t i) { return fmt::format("#{:06x}", LineRgb(i)); }

}  // namespace infermeter::report
