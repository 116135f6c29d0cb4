// Charts render to real PNG and SVG files: the right size, a white background, each line in its
// palette colour inside the plot, nothing drawn outside it, and "no data" rather than an error
// for charts with nothing to show.

#include "infermeter/report/chart_image.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "cairo_ptr.h"
#include "chart_text.h"
#include "infermeter/core/error.h"

namespace infermeter::report {
namespace {

using dashboard::Point;

// A decoded PNG, read back through cairo.
class Image {
 public:
  explicit Image(const std::string& png) {
    Reader reader{png, 0};
    surface_.reset(cairo_image_surface_create_from_png_stream(Read, &reader));
  }
  bool ok() const { return cairo_surface_status(surface_.get()) == CAIRO_STATUS_SUCCESS; }
  int width() const { return cairo_image_surface_get_width(surface_.get()); }
  int height() const { return cairo_image_surface_get_height(surface_.get()); }
  // 0xRRGGBB of the pixel at (x, y).
  std::uint32_t At(int x, int y) const {
    const unsigned char* row =
        cairo_image_surface_get_data(surface_.get()) +
        static_cast<std::ptrdiff_t>(y) * cairo_image_surface_get_stride(surface_.get());
    return reinterpret_cast<const std::uint32_t*>(row)[x] & 0xFFFFFF;
  }
  // Pixels within `tolerance` per channel of `rgb`, in rows [from_y, to_y).
  int Count(std::uint32_t rgb, int from_y, int to_y, int tolerance = 8) const {
    int count = 0;
    for (int y = from_y; y < to_y; ++y) {
      for (int x = 0; x < width(); ++x) count += Near(At(x, y), rgb, tolerance) ? 1 : 0;
    }
    return count;
  }
  int Count(std::uint32_t rgb) const { return Count(rgb, 0, height()); }

 private:
  struct Reader {
    const std::string& data;
    std::size_t at;
  };
  static cairo_status_t Read(void* closure, unsigned char* out, unsigned int length) {
    auto* reader = static_cast<Reader*>(closure);
    if (reader->data.size() - reader->at < length) return CAIRO_STATUS_READ_ERROR;
    reader->data.copy(reinterpret_cast<char*>(out), length, reader->at);
    reader->at += length;
    return CAIRO_STATUS_SUCCESS;
  }
  static bool Near(std::uint32_t a, std::uint32_t b, int tolerance) {
    for (int shift : {0, 8, 16}) {
      const int ca = static_cast<int>((a >> shift) & 0xFF),
                cb = static_cast<int>((b >> shift) & 0xFF);
      if (std::abs(ca - cb) > tolerance) return false;
    }
    return true;
  }
  SurfacePtr surface_;
};

std::uint32_t Rgb(std::size_t line) {
  return static_cast<std::uint32_t>(std::stoul(LineColour(line).substr(1), nullptr, 16));
}

std::uint32_t BigEndian32(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i)
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// Lines without names (so no legend swatch shares their colours), flat enough to leave fully
// covered pixels: a throughput-like chart over 0..60 s.
ChartSpec UnnamedLines(std::size_t count) {
  ChartSpec spec{.title = "Output throughput", .x_title = "time (s)", .y_title = "tokens/s"};
  for (std::size_t i = 0; i < count; ++i) {
    ChartLine line;
    for (int t = 0; t <= 60; t += 5) {
      line.points.push_back({static_cast<double>(t), 1000.0 * static_cast<double>(i + 1) + t});
    }
    spec.lines.push_back(line);
  }
  return spec;
}

TEST(ChartPng, SignatureAndSize) {
  const ChartSpec spec = UnnamedLines(2);
  for (double scale : {1.0, 2.0}) {
    const std::string png = RenderChartPng(spec, scale);
    ASSERT_GT(png.size(), 24u);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_EQ(png.substr(12, 4), "IHDR");
    EXPECT_EQ(BigEndian32(png, 16), static_cast<std::uint32_t>(900 * scale));
    EXPECT_EQ(BigEndian32(png, 20), static_cast<std::uint32_t>(360 * scale));
  }
}

TEST(ChartPng, WhiteBackgroundAndEachLineInItsColour) {
  const Image image(RenderChartPng(UnnamedLines(8)));
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image.At(0, 0), 0xFFFFFFu);
  EXPECT_EQ(image.At(image.width() - 1, image.height() - 1), 0xFFFFFFu);
  EXPECT_GT(image.Count(0xFFFFFF, 0, image.height(), 0), image.width() * image.height() / 2);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_GT(image.Count(Rgb(i)), 50) << "line " << i << " " << LineColour(i);
    EXPECT_EQ(image.Count(Rgb(i), 0, 30), 0) << "line " << i << " above the plot";
  }
}

TEST(ChartPng, HiDpiDrawsTheSameChartLarger) {
  const Image image(RenderChartPng(UnnamedLines(1), 2));
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image.width(), 1800);
  EXPECT_GT(image.Count(Rgb(0)), 4 * 50);
}

TEST(ChartPng, LinesAreClippedToThePlot) {
  // A fixed 0..1 range and a line that leaves it far above and below.
  ChartSpec spec{.title = "CDF",
                 .lines = {{.points = {{0, -5}, {1, 0.5}, {2, 50}, {3, 0.5}}}},
                 .y_min = 0,
                 .y_max = 1};
  const Image image(RenderChartPng(spec));
  ASSERT_TRUE(image.ok());
  EXPECT_GT(image.Count(Rgb(0)), 20);
  EXPECT_EQ(image.Count(Rgb(0), 0, 25), 0);                                // the title band
  EXPECT_EQ(image.Count(Rgb(0), image.height() - 30, image.height()), 0);  // the x labels
}

TEST(ChartPng, LegendShowsEveryNamedLine) {
  ChartSpec spec = UnnamedLines(8);
  for (std::size_t i = 0; i < spec.lines.size(); ++i) {
    spec.lines[i].name = "run " + std::to_string(i + 1) +
                         " (nvidia-h100-80gb-hbm3, vllm 0.6.3, tp=8, a very long label): output";
  }
  const Image image(RenderChartPng(spec));
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image.height(), 360);
  for (std::size_t i = 0; i < 8; ++i) {
    // Eight entries take four rows at the bottom, below the plot and its axis titles.
    EXPECT_GT(image.Count(Rgb(i), image.height() - 80, image.height()), 20) << "line " << i;
  }
}

TEST(ChartPng, LogXCdfSkipsWhatItCannotPlace) {
  ChartSpec spec{.title = "TTFT",
                 .x_title = "TTFT (ms)",
                 .y_title = "fraction of requests",
                 .y_min = 0,
                 .y_max = 1,
                 .log_x = true};
  ChartLine cdf{.name = "run 1", .steps = true};
  cdf.points.push_back({0, 0});  // a 0 ms TTFT cannot be placed on a log axis
  for (int i = 1; i <= 100; ++i) {
    cdf.points.push_back({10 * std::pow(1.08, i), i / 100.0});
  }
  spec.lines.push_back(cdf);
  const Image image(RenderChartPng(spec));
  ASSERT_TRUE(image.ok());
  EXPECT_GT(image.Count(Rgb(0), 30, image.height() * 2 / 3), 50);
}

TEST(ChartPng, NothingToDrawIsNoData) {
  const ChartSpec no_lines{.title = "Output throughput"};
  ChartSpec no_points = no_lines;
  no_points.lines = {{.name = "run 1"}, {.name = "run 2"}};
  ChartSpec non_finite = no_lines;
  non_finite.lines = {{.name = "run 1", .points = {{NAN, 1}, {1, INFINITY}}}};
  ChartSpec log_non_positive = no_lines;
  log_non_positive.log_x = true;
  log_non_positive.lines = {{.name = "run 1", .points = {{0, 1}, {-1, 2}}}};
  for (const ChartSpec& spec : {no_lines, no_points, non_finite, log_non_positive}) {
    const Image image(RenderChartPng(spec));
    ASSERT_TRUE(image.ok());
    EXPECT_EQ(image.Count(Rgb(0)), 0);
    // "no data" is written in the middle.
    const int cx = image.width() / 2, cy = image.height() / 2 + 10;
    int ink = 0;
    for (int y = cy - 15; y < cy + 15; ++y) {
      for (int x = cx - 40; x < cx + 40; ++x) ink += image.At(x, y) != 0xFFFFFF ? 1 : 0;
    }
    EXPECT_GT(ink, 20);
  }
}

TEST(ChartPng, SinglePointsAndConstantSeries) {
  const ChartSpec single{.lines = {{.points = {{3, 7}}}}};
  const ChartSpec constant{.lines = {{.points = {{0, 5}, {1, 5}, {2, 5}}}}};
  const ChartSpec zeros{.lines = {{.points = {{4, 0}, {4, 0}}}}};
  ChartSpec log_single = single;
  log_single.log_x = true;
  for (const ChartSpec& spec : {single, constant, zeros, log_single}) {
    const Image image(RenderChartPng(spec));
    ASSERT_TRUE(image.ok());
    EXPECT_GT(image.Count(Rgb(0)), 5);
  }
}

TEST(ChartPng, InvalidUtf8InNamesIsDrawnNotFatal) {
  ChartSpec spec = UnnamedLines(1);
  spec.title = "bad \xff\xfe title";
  spec.lines[0].name = "run \xc3";
  EXPECT_TRUE(Image(RenderChartPng(spec)).ok());
}

TEST(ChartPng, BadSizesThrow) {
  ChartSpec spec = UnnamedLines(1);
  EXPECT_THROW(RenderChartPng(spec, 0), Error);
  EXPECT_THROW(RenderChartPng(spec, NAN), Error);
  spec.width_px = 0;
  EXPECT_THROW(RenderChartPng(spec), Error);
  EXPECT_THROW(RenderChartSvg(spec), Error);
}

TEST(ChartSvg, IsAnSvgDocumentOfTheChartsSize) {
  ChartSpec spec = UnnamedLines(3);
  spec.lines[0].name = "run 1";
  const std::string svg = RenderChartSvg(spec);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("width=\"900"), std::string::npos);
  EXPECT_NE(svg.find("height=\"360"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  // Line 0's colour, 0x72 / 255 = 44.7 % green, as cairo 1.16 writes it.
  EXPECT_NE(svg.find("44.705882%"), std::string::npos);
}

TEST(LineColour, PaletteIsFixedAndRepeats) {
  EXPECT_EQ(LineColour(0), "#0072b2");
  EXPECT_EQ(LineColour(1), "#e69f00");
  EXPECT_EQ(LineColour(8), LineColour(0));
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(LineColour(i).size(), 7u);
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(LineColour(i), LineColour(j));
  }
}

TEST(ChartText, InvalidUtf8BecomesQuestionMarks) {
  EXPECT_EQ(ValidUtf8("plain"), "plain");
  EXPECT_EQ(ValidUtf8("µs ≤ 5 🚀"), "µs ≤ 5 🚀");
  EXPECT_EQ(ValidUtf8("a\xff"
                      "b"),
            "a?b");
  EXPECT_EQ(ValidUtf8("\xc3"), "?");            // cut short
  EXPECT_EQ(ValidUtf8("\xc0\xaf"), "??");       // overlong '/'
  EXPECT_EQ(ValidUtf8("\xed\xa0\x80"), "???");  // a surrogate
}

TEST(ChartText, ElidesInTheMiddleToFit) {
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 10, 10));
  ContextPtr cr(cairo_create(surface.get()));
  cairo_select_font_face(cr.get(), "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr.get(), 12);
  const std::string name = "run 12 (nvidia-h100-80gb-hbm3, vllm 0.6.3, tp=8): output throughput";
  EXPECT_EQ(ElideMiddle(cr.get(), name, 1000), name);
  const std::string short_name = ElideMiddle(cr.get(), name, 150);
  EXPECT_LE(TextWidth(cr.get(), short_name), 150);
  EXPECT_NE(short_name.find("…"), std::string::npos);
  EXPECT_EQ(short_name.rfind("run 1", 0), 0u);
  EXPECT_EQ(short_name.substr(short_name.size() - 4), "hput");
  EXPECT_EQ(ElideMiddle(cr.get(), "ééééééééééééééééééééé", 30).find("\xc3…"), std::string::npos);
  EXPECT_EQ(cairo_status(cr.get()), CAIRO_STATUS_SUCCESS);
}

}  // namespace
}  // namespace infermeter::report
