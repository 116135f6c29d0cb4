// The run-detail view's panels: the right series together, per-device lines named by their
// labels, readable axis units, no panel for what a run did not record; overlays share a unit.

#include "infermeter/dashboard/time_panels.h"

#include <gtest/gtest.h>

namespace infermeter::dashboard {
namespace {

Series Make(const std::string& metric, const std::string& labels, std::vector<Point> points) {
  Series s;
  s.source = "test";
  s.metric = metric;
  s.labels_json = labels;
  s.stored_points = points.size();
  s.points = std::move(points);
  return s;
}

constexpr double kGiB = 1024.0 * 1024 * 1024;

TEST(TimePanels, GroupsSeriesAndScalesAxes) {
  const std::vector<Series> series = {
      Make("output_tokens_per_s", "{}", {{0, 100}, {1, 200}}),
      Make("kv_used_bytes", "{}", {{0, 1 * kGiB}, {1, 2 * kGiB}}),
      Make("kv_capacity_bytes", "{}", {{0, 4 * kGiB}, {1, 4 * kGiB}}),
      Make("gpu_power_watts", R"({"gpu":"0"})", {{0, 300}}),
      Make("gpu_power_watts", R"({"gpu":"1"})", {{0, 310}}),
      Make("mfu", "{}", {{0, 0.25}}),
      Make("something_else", "{}", {{0, 1}}),
  };
  const std::vector<TimePanel> panels = TimePanels(series);
  ASSERT_EQ(panels.size(), 4u);  // throughput, KV cache, MFU, power; nothing for the rest
  EXPECT_EQ(panels[0].title, "Output throughput");
  EXPECT_EQ(panels[0].y_unit, "tokens/s");
  EXPECT_EQ(panels[1].title, "KV cache");
  EXPECT_EQ(panels[1].y_unit, "GiB");
  ASSERT_EQ(panels[1].lines.size(), 2u);
  EXPECT_EQ(panels[1].lines[0].name, "used");
  EXPECT_DOUBLE_EQ(panels[1].lines[0].points[1].y, 2.0);
  EXPECT_EQ(panels[1].lines[1].name, "capacity");
  EXPECT_EQ(panels[2].title, "MFU");
  EXPECT_EQ(panels[2].y_unit, "%");
  EXPECT_DOUBLE_EQ(panels[2].lines[0].points[0].y, 25.0);
  EXPECT_EQ(panels[3].title, "Device power");
  ASSERT_EQ(panels[3].lines.size(), 2u);
  EXPECT_EQ(panels[3].lines[0].name, "GPU (gpu=0)");
  EXPECT_EQ(panels[3].lines[1].name, "GPU (gpu=1)");
}

TEST(TimePanels, OverlaysShareOneUnitAndNameTheRun) {
  const std::vector<Series> small = {Make("kv_used_bytes", "{}", {{0, 100 * 1024.0 * 1024}})};
  const std::vector<Series> large = {Make("kv_used_bytes", "{}", {{0, 40 * kGiB}})};
  const std::vector<TimePanel> panels = OverlaidTimePanels(
      {{.run_name = "a", .series = &small}, {.run_name = "b", .series = &large}});
  ASSERT_EQ(panels.size(), 1u);
  EXPECT_EQ(panels[0].y_unit, "GiB");
  ASSERT_EQ(panels[0].lines.size(), 2u);
  EXPECT_EQ(panels[0].lines[0].name, "a: used");
  EXPECT_NEAR(panels[0].lines[0].points[0].y, 100.0 / 1024, 1e-12);
  EXPECT_EQ(panels[0].lines[1].name, "b: used");
  EXPECT_DOUBLE_EQ(panels[0].lines[1].points[0].y, 40.0);
}

TEST(TimePanels, TheSeriesRebuiltFromRequestsWinsOverTheSampledOne) {
  std::vector<Series> series = {Make("in_flight_requests", "{}", {{0, 3}}),
                                Make("in_flight_requests", "{}", {{0, 4}, {0.5, 5}})};
  series[0].source = "latency";
  series[1].source = "requests";
  const std::vector<TimePanel> panels = TimePanels(series);
  ASSERT_EQ(panels.size(), 1u);
  ASSERT_EQ(panels[0].lines.size(), 1u);
  // Drawn as steps: the count held 4 until it became 5.
  const std::vector<Point> expected = {{0, 4}, {0.5, 4}, {0.5, 5}};
  EXPECT_EQ(panels[0].lines[0].points, expected);
}

TEST(TimePanels, NoSeriesNoPanels) { EXPECT_TRUE(TimePanels({}).empty()); }

}  // namespace
}  // namespace infermeter::dashboard
