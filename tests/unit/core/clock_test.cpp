#include "infermeter/core/clock.h"

#include <gtest/gtest.h>

namespace infermeter {
namespace {

TEST(Clock, MonotonicNeverGoesBackwards) {
  std::int64_t previous = MonotonicNs();
  for (int i = 0; i < 100000; ++i) {
    const std::int64_t now = MonotonicNs();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

TEST(Clock, OriginMapsMonotonicToWallTime) {
  const ClockOrigin origin{1'000'000'000'000'000'000, 500};
  EXPECT_EQ(origin.ToWallNs(500), 1'000'000'000'000'000'000);
  EXPECT_EQ(origin.ToWallNs(1500), 1'000'000'000'000'001'000);
  const ClockOrigin now = ClockOrigin::Now();
  EXPECT_NEAR(static_cast<double>(now.ToWallNs(MonotonicNs())), static_cast<double>(WallNs()),
              1e9);  // within a second: the two clocks agree on "now"
}

TEST(Clock, FormatsWallTimeAsIso8601Utc) {
  EXPECT_EQ(FormatWallNs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatWallNs(1'700'000'000'123'456'789), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatWallNs(-1'000'000), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace infermeter
