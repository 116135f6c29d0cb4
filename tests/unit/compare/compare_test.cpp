// `infermeter compare`'s core on a real results file (compare_fixture.h): values are the stored
// figures, ratios their ratios, intervals contain the values and `significant` says whether the
// ratio's interval excludes 1; normalised figures; runs of one workload resampled as pairs, time
// blocks independently; runs that are not like for like are refused with the differences named,
// or compared with warnings when forced; --metrics globs; repeat groups as one column (the mean
// over their runs, with the CV); and the CSV, JSON and Markdown documents.

#include "infermeter/compare/comparison.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compare_fixture.h"
#include "infermeter/compare/comparison_format.h"
#include "infermeter/compare/subject.h"
#include "infermeter/core/error.h"
#include "infermeter/results/store.h"
#include "temp_db.h"

namespace infermeter::compare {
namespace {

using testing::CompareFixture;

// One fixture file for the whole suite: writing it is most of the suite's time.
class CompareTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::TempDir>();
    fixture_ =
        std::make_unique<CompareFixture>(testing::WriteCompareFixture(dir_->File("compare.db")));
  }
  static void TearDownTestSuite() {
    fixture_.reset();
    dir_.reset();
  }

  static const CompareFixture& F() { return *fixture_; }

  static SubjectRef Run(RunId id) {
    return {.kind = SubjectRef::Kind::kRun, .id = id.value, .text = fmt::format("{}", id.value)};
  }
  static SubjectRef Group(std::int64_t id) {
    return {.kind = SubjectRef::Kind::kGroup, .id = id, .text = fmt::format("group:{}", id)};
  }
  static std::vector<Subject> Load(const std::vector<SubjectRef>& refs) {
    return LoadSubjects(F().db_path, refs);
  }
  static ComparisonTable CompareRefs(const std::vector<SubjectRef>& refs,
                                     CompareSettings settings) {
    return Compare(F().db_path, Load(refs), settings);
  }
  static std::map<std::string, double> Stored(RunId run) {
    std::map<std::string, double> figures;
    auto store = results::ResultsStore::OpenForReading(F().db_path);
    for (const results::RunMetric& m : store.LoadRunMetrics(run)) figures[m.name] = m.value;
    return figures;
  }

 private:
  static std::unique_ptr<testing::TempDir> dir_;
  static std::unique_ptr<CompareFixture> fixture_;
};

std::unique_ptr<testing::TempDir> CompareTest::dir_;
std::unique_ptr<CompareFixture> CompareTest::fixture_;

const Row* RowOf(const ComparisonTable& table, const std::string& metric) {
  for (const Row& row : table.rows) {
    if (row.metric == metric) return &row;
  }
  return nullptr;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The normalised figures compare adds (not stored: derived from output_tokens_per_s).
bool Derived(const std::string& metric) {
  return metric.starts_with("output_tokens_per_s_per_") || metric == "output_tokens_per_dollar" ||
         metric == "usd_per_million_output_tokens";
}

TEST_F(CompareTest, ValuesAreTheStoredFiguresAndRatiosTheirRatios) {
  const ComparisonTable table =
      CompareRefs({Run(F().fast), Run(F().slow)}, {.resamples = 200, .seed = 3});
  const auto fast = Stored(F().fast), slow = Stored(F().slow);
  ASSERT_EQ(table.subjects.size(), 2u);
  EXPECT_EQ(table.subjects[0], fmt::format("run {} (fast)", F().fast.value));
  EXPECT_EQ(table.baseline, 0u);
  EXPECT_TRUE(table.differences.empty());

  std::size_t stored_rows = 0;
  for (const Row& row : table.rows) {
    SCOPED_TRACE(row.metric);
    ASSERT_EQ(row.cells.size(), 2u);
    ASSERT_EQ(row.methods.size(), 2u);
    const Cell& base = row.cells[0];
    const Cell& other = row.cells[1];
    EXPECT_EQ(base.runs, 1u);
    if (Derived(row.metric)) {  // NormalisedFiguresDivideTheStoredRate checks their values
      ASSERT_TRUE(base.value && other.value);
      if (row.metric == "output_tokens_per_s_per_device") {  // two GPUs on both
        EXPECT_DOUBLE_EQ(*other.value / *base.value,
                         slow.at("output_tokens_per_s") / fast.at("output_tokens_per_s"));
      }
    } else {
      ++stored_rows;
      ASSERT_TRUE(fast.contains(row.metric) && slow.contains(row.metric));
      ASSERT_TRUE(base.value && other.value);
      EXPECT_EQ(*base.value, fast.at(row.metric));
      EXPECT_EQ(*other.value, slow.at(row.metric));
    }
    // The baseline has no ratio interval and no verdict; its ratio, if any, is 1.
    EXPECT_FALSE(base.ratio_interval);
    EXPECT_FALSE(base.significant.has_value());
    if (base.ratio) {
      EXPECT_EQ(*base.ratio, 1.0);
    }
    if (*base.value != 0) {
      ASSERT_TRUE(other.ratio);
      EXPECT_DOUBLE_EQ(*other.ratio, *other.value / *base.value);
    } else {
      EXPECT_FALSE(other.ratio);
    }
    // An interval contains its value; the verdict is whether the ratio's interval excludes 1.
    for (std::size_t i = 0; i < 2; ++i) {
      const Cell& cell = row.cells[i];
      EXPECT_EQ(cell.interval.has_value(), row.methods[i].has_value());
      if (!cell.interval) continue;
      EXPECT_LE(cell.interval->low, *cell.value);
      EXPECT_GE(cell.interval->high, *cell.value);
    }
    if (other.ratio_interval) {
      ASSERT_TRUE(other.significant.has_value());
      EXPECT_EQ(*other.significant,
                other.ratio_interval->low > 1 || other.ratio_interval->high < 1);
      EXPECT_LE(other.ratio_interval->low, other.ratio_interval->high);
    } else {
      EXPECT_FALSE(other.significant.has_value());
    }
  }
  // Every stored figure of the two runs is a row.
  EXPECT_EQ(stored_rows, fast.size());

  // The slow run: twice the TTFT, 1.5x the TPOT; intervals from its requests.
  const Row* ttft = RowOf(table, "ttft_p50_ms");
  ASSERT_NE(ttft, nullptr);
  EXPECT_EQ(ttft->methods[0], ResampleMethod::kRequests);
  EXPECT_EQ(ttft->section, Section::kLatency);
  EXPECT_EQ(ttft->higher_is_better, false);
  ASSERT_TRUE(ttft->cells[1].ratio_interval);
  EXPECT_GT(*ttft->cells[1].ratio, 1.6);
  EXPECT_LT(*ttft->cells[1].ratio, 2.4);
  EXPECT_EQ(ttft->cells[1].significant, true);
  const Row* tpot = RowOf(table, "tpot_mean_ms");
  ASSERT_NE(tpot, nullptr);
  EXPECT_NEAR(*tpot->cells[1].ratio, 1.5, 0.05);
  EXPECT_EQ(tpot->cells[1].significant, true);
  const Row* output = RowOf(table, "output_tokens_per_s");
  ASSERT_NE(output, nullptr);
  EXPECT_EQ(output->methods[0], ResampleMethod::kTimeBlocks);
  EXPECT_EQ(output->section, Section::kThroughput);
  // The same schedule on both: throughput within a few percent, not a significant difference.
  EXPECT_NEAR(*output->cells[1].ratio, 1, 0.05);
  EXPECT_EQ(output->cells[1].significant, false);
  // Figures a bootstrap cannot estimate have no interval.
  for (const char* metric : {"ttft_p99_9_ms", "ttft_max_ms", "requests_total"}) {
    const Row* row = RowOf(table, metric);
    ASSERT_NE(row, nullptr) << metric;
    EXPECT_FALSE(row->cells[0].interval) << metric;
  }
  // The slow run is INVALID: the reader is told.
  EXPECT_TRUE(std::any_of(table.warnings.begin(), table.warnings.end(), [&](const auto& w) {
    return Contains(w, "INVALID") && Contains(w, "schedule lag too high") && Contains(w, "slow");
  })) << fmt::format("{}", fmt::join(table.warnings, "\n"));
}

// Normalised figures: per device (two GPUs each), per $ (the price_per_hour label); their
// intervals are the rate's, divided the same way.
TEST_F(CompareTest, NormalisedFiguresDivideTheStoredRate) {
  const ComparisonTable table =
      CompareRefs({Run(F().fast), Run(F().slow)},
                  {.metrics = {"output_tokens_per_*"}, .resamples = 200, .seed = 8});
  const double fast = Stored(F().fast).at("output_tokens_per_s");
  const double slow = Stored(F().slow).at("output_tokens_per_s");
  const Row* rate = RowOf(table, "output_tokens_per_s");
  const Row* per_device = RowOf(table, "output_tokens_per_s_per_device");
  const Row* per_dollar = RowOf(table, "output_tokens_per_dollar");
  ASSERT_TRUE(rate && per_device && per_dollar);
  EXPECT_EQ(RowOf(table, "output_tokens_per_s_per_peak_pflops"), nullptr);  // no MFU stored
  EXPECT_EQ(per_device->unit, "tokens/s/device");
  EXPECT_EQ(per_device->section, Section::kEfficiency);
  EXPECT_DOUBLE_EQ(*per_device->cells[0].value, fast / 2);
  EXPECT_DOUBLE_EQ(*per_device->cells[1].value, slow / 2);
  EXPECT_DOUBLE_EQ(per_device->cells[0].interval->low, rate->cells[0].interval->low / 2);
  EXPECT_DOUBLE_EQ(per_device->cells[0].interval->high, rate->cells[0].interval->high / 2);
  EXPECT_EQ(per_device->methods[0], ResampleMethod::kTimeBlocks);
  // Tokens per $: tokens/s x 3600 s / (price per hour); the slow run costs twice as much.
  EXPECT_DOUBLE_EQ(*per_dollar->cells[0].value, fast * 3600 / 10);
  EXPECT_DOUBLE_EQ(*per_dollar->cells[1].value, slow * 3600 / 20);
  EXPECT_DOUBLE_EQ(*per_dollar->cells[1].ratio, slow / fast / 2);
  const Row* usd = RowOf(table, "usd_per_million_output_tokens");
  EXPECT_EQ(usd, nullptr) << "the glob output_tokens_per_* does not match it";
  const ComparisonTable dollars =
      CompareRefs({Run(F().fast), Run(F().slow)},
                  {.metrics = {"usd_per_million_output_tokens"}, .resamples = 0});
  ASSERT_EQ(dollars.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(*dollars.rows[0].cells[0].value, 10 / (fast * 3600) * 1e6);
  EXPECT_EQ(dollars.rows[0].higher_is_better, false);
}

TEST_F(CompareTest, TheBaselineCanBeAnyColumn) {
  const ComparisonTable table =
      CompareRefs({Run(F().fast), Run(F().slow)},
                  {.baseline = 1, .metrics = {"ttft_p50_ms"}, .resamples = 100});
  EXPECT_EQ(table.baseline, 1u);
  ASSERT_EQ(table.rows.size(), 1u);
  const Row& row = table.rows[0];
  EXPECT_DOUBLE_EQ(*row.cells[0].ratio, *row.cells[0].value / *row.cells[1].value);
  EXPECT_TRUE(row.cells[0].ratio_interval);
  EXPECT_FALSE(row.cells[1].ratio_interval);
  EXPECT_EQ(row.cells[0].significant, true);

  EXPECT_THROW(CompareRefs({Run(F().fast), Run(F().slow)}, {.baseline = 2}), InputError);
  EXPECT_THROW(Compare(F().db_path, {}, {}), InputError);
}

TEST_F(CompareTest, NoBootstrapNoIntervals) {
  const ComparisonTable table = CompareRefs({Run(F().fast), Run(F().slow)}, {.resamples = 0});
  ASSERT_FALSE(table.rows.empty());
  for (const Row& row : table.rows) {
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      EXPECT_FALSE(row.cells[i].interval) << row.metric;
      EXPECT_FALSE(row.cells[i].ratio_interval) << row.metric;
      EXPECT_FALSE(row.cells[i].significant.has_value()) << row.metric;
      EXPECT_FALSE(row.methods[i]) << row.metric;
    }
  }
  EXPECT_TRUE(RowOf(table, "ttft_p50_ms")->cells[1].ratio);
}

TEST_F(CompareTest, SameSeedSameTableOtherSeedOtherIntervals) {
  const CompareSettings settings{
      .metrics = {"ttft_p9*", "output_tokens_per_s"}, .resamples = 200, .seed = 21};
  const ComparisonTable a = CompareRefs({Run(F().fast), Run(F().slow)}, settings);
  const ComparisonTable b = CompareRefs({Run(F().fast), Run(F().slow)}, settings);
  CompareSettings other = settings;
  other.seed = 22;
  const ComparisonTable c = CompareRefs({Run(F().fast), Run(F().slow)}, other);
  EXPECT_EQ(ComparisonCsv(a), ComparisonCsv(b));
  EXPECT_NE(ComparisonCsv(a), ComparisonCsv(c));
  // The values do not depend on the seed, only the intervals.
  for (std::size_t r = 0; r < a.rows.size(); ++r) {
    EXPECT_EQ(a.rows[r].cells[1].value, c.rows[r].cells[1].value);
    EXPECT_EQ(a.rows[r].cells[1].ratio, c.rows[r].cells[1].ratio);
  }
}

// Runs of one workload are resampled as pairs (resample b draws the same requests from both:
// run_resamples.h), so two runs with identical requests have ratio intervals of exactly [1, 1];
// their 1 s blocks, and the requests of runs of different workloads, are drawn independently.
TEST_F(CompareTest, RequestsOfOneWorkloadArePairedTimeBlocksAreNot) {
  const CompareSettings settings{.metrics = {"ttft_p50_ms", "e2e_mean_ms", "output_tokens_per_s"},
                                 .resamples = 200};
  const ComparisonTable same = CompareRefs({Run(F().fast), Run(F().twin)}, settings);
  ASSERT_EQ(same.rows.size(), 3u);
  for (const Row& row : same.rows) {
    SCOPED_TRACE(row.metric);
    const Cell& twin = row.cells[1];
    EXPECT_EQ(*twin.value, *row.cells[0].value);
    EXPECT_EQ(*twin.ratio, 1.0);
    ASSERT_TRUE(twin.ratio_interval);
    EXPECT_EQ(twin.significant, false);
    if (row.metric == "output_tokens_per_s") {
      EXPECT_LT(twin.ratio_interval->low, 0.999);
      EXPECT_GT(twin.ratio_interval->high, 1.001);
      EXPECT_NE(twin.interval->low, row.cells[0].interval->low);
    } else {
      EXPECT_EQ(twin.ratio_interval->low, 1.0);
      EXPECT_EQ(twin.ratio_interval->high, 1.0);
      EXPECT_EQ(twin.interval->low, row.cells[0].interval->low);
      EXPECT_EQ(twin.interval->high, row.cells[0].interval->high);
    }
  }
  CompareSettings forced = settings;
  forced.force = true;
  const ComparisonTable elsewhere = CompareRefs({Run(F().fast), Run(F().twin_elsewhere)}, forced);
  ASSERT_EQ(elsewhere.differences.size(), 1u);
  for (const Row& row : elsewhere.rows) {
    SCOPED_TRACE(row.metric);
    ASSERT_TRUE(row.cells[1].ratio_interval);
    EXPECT_LT(row.cells[1].ratio_interval->low, 0.999);
    EXPECT_GT(row.cells[1].ratio_interval->high, 1.001);
    EXPECT_EQ(row.cells[1].significant, false);
  }
}

TEST_F(CompareTest, OtherWorkloadIsRefusedNamingTheDifference) {
  const auto subjects = Load({Run(F().fast), Run(F().other_workload)});
  try {
    Compare(F().db_path, subjects, {.resamples = 50});
    FAIL() << "compared different workloads";
  } catch (const NotLikeForLike& e) {
    ASSERT_EQ(e.differences().size(), 1u) << fmt::format("{}", fmt::join(e.differences(), "\n"));
    const std::string& d = e.differences()[0];
    EXPECT_TRUE(d.starts_with("workload:")) << d;
    for (const std::string& part :
         {std::string("00000000000000aa"), std::string("00000000000000bb"), std::string("'chat'"),
          std::string("'agentic'"),
          fmt::format("run {} (other workload)", F().other_workload.value),
          fmt::format("run {} (fast)", F().fast.value)}) {
      EXPECT_TRUE(Contains(d, part)) << part << " not in: " << d;
    }
    EXPECT_TRUE(Contains(e.what(), d)) << e.what();
    EXPECT_TRUE(Contains(e.what(), "--force")) << e.what();
  }
}

TEST_F(CompareTest, OtherModelAndOtherSlosAreRefusedToo) {
  try {
    CompareRefs({Run(F().fast), Run(F().other_model)}, {.resamples = 0});
    FAIL() << "compared different models";
  } catch (const NotLikeForLike& e) {
    ASSERT_EQ(e.differences().size(), 1u);
    EXPECT_TRUE(e.differences()[0].starts_with("model:")) << e.differences()[0];
    EXPECT_TRUE(Contains(e.differences()[0], "'m2'")) << e.differences()[0];
    EXPECT_TRUE(Contains(e.differences()[0], "'m1'")) << e.differences()[0];
  }
  try {
    CompareRefs({Run(F().fast), Run(F().other_slo)}, {.resamples = 0});
    FAIL() << "compared runs judged against different SLOs";
  } catch (const NotLikeForLike& e) {
    ASSERT_EQ(e.differences().size(), 1u);
    EXPECT_TRUE(e.differences()[0].starts_with("SLOs:")) << e.differences()[0];
    EXPECT_TRUE(Contains(e.differences()[0], "ttft=80,tpot=12")) << e.differences()[0];
    EXPECT_TRUE(Contains(e.differences()[0], "ttft=60,tpot=12")) << e.differences()[0];
  }
  // All three differences at once, each run against the baseline.
  const auto differences = LikeForLikeDifferences(
      Load({Run(F().fast), Run(F().other_workload), Run(F().other_model), Run(F().other_slo)}), 0);
  EXPECT_EQ(differences.size(), 3u) << fmt::format("{}", fmt::join(differences, "\n"));
}

TEST_F(CompareTest, WithoutHashesWorkloadsCompareByName) {
  EXPECT_TRUE(LikeForLikeDifferences(Load({Run(F().fast), Run(F().by_name_same)}), 0).empty());
  const auto differences = LikeForLikeDifferences(Load({Run(F().fast), Run(F().by_name_other)}), 0);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_TRUE(Contains(differences[0], "'chat-2' (hash none)")) << differences[0];
}

TEST_F(CompareTest, ForceTurnsTheDifferencesIntoWarnings) {
  const ComparisonTable table =
      CompareRefs({Run(F().fast), Run(F().other_workload)}, {.resamples = 50, .force = true});
  ASSERT_EQ(table.differences.size(), 1u);
  EXPECT_TRUE(table.differences[0].starts_with("workload:"));
  EXPECT_TRUE(std::any_of(table.warnings.begin(), table.warnings.end(), [&](const auto& w) {
    return w == "not like for like (forced): " + table.differences[0];
  })) << fmt::format("{}", fmt::join(table.warnings, "\n"));
  EXPECT_NE(RowOf(table, "ttft_p50_ms"), nullptr);
}

TEST_F(CompareTest, UnfinishedRunsAreWarnedAbout) {
  const ComparisonTable table = CompareRefs({Run(F().fast), Run(F().unfinished)}, {.resamples = 0});
  EXPECT_TRUE(std::any_of(table.warnings.begin(), table.warnings.end(), [&](const auto& w) {
    return Contains(w, "unfinished") && Contains(w, "interrupted, not completed");
  })) << fmt::format("{}", fmt::join(table.warnings, "\n"));
  // It has no price label: its per-$ figures are missing, and the reader is told why.
  const Row* per_dollar = RowOf(table, "output_tokens_per_dollar");
  ASSERT_NE(per_dollar, nullptr);
  EXPECT_FALSE(per_dollar->cells[1].value);
  EXPECT_FALSE(per_dollar->cells[1].ratio);
  EXPECT_TRUE(std::any_of(table.warnings.begin(), table.warnings.end(), [&](const auto& w) {
    return Contains(w, "unfinished") && Contains(w, "Output tokens per $") &&
           Contains(w, "price_per_hour");
  })) << fmt::format("{}", fmt::join(table.warnings, "\n"));
}

TEST_F(CompareTest, MetricsGlobsSelectRowsAndOneMatchingNothingIsAnError) {
  const std::vector<SubjectRef> refs{Run(F().fast), Run(F().slow)};
  ComparisonTable table = CompareRefs(refs, {.metrics = {"ttft_p9*", "good_fraction"}});
  std::vector<std::string> metrics;
  for (const Row& row : table.rows) metrics.push_back(row.metric);
  EXPECT_EQ(metrics, (std::vector<std::string>{"good_fraction", "ttft_p90_ms", "ttft_p95_ms",
                                               "ttft_p99_ms", "ttft_p99_9_ms"}));
  table = CompareRefs(refs, {.metrics = {"*_per_device"}, .resamples = 0});
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0].metric, "output_tokens_per_s_per_device");

  for (const std::vector<std::string>& patterns :
       {std::vector<std::string>{"nosuch*"}, std::vector<std::string>{"ttft_p50_ms", "nosuch*"}}) {
    try {
      CompareRefs(refs, {.metrics = patterns, .resamples = 0});
      FAIL() << "a pattern matching nothing was accepted";
    } catch (const InputError& e) {
      EXPECT_TRUE(Contains(e.what(), "'nosuch*'")) << e.what();
      EXPECT_TRUE(Contains(e.what(), "--metrics")) << e.what();
    }
  }
}

// A pattern that selects only figures no compared run has (a normalisation none can make) is an
// error saying why, not an empty table.
TEST_F(CompareTest, MetricsSelectingOnlyFiguresNoRunHasIsAnErrorSayingWhy) {
  try {
    CompareRefs({Run(F().by_name_same), Run(F().by_name_other)},
                {.metrics = {"usd_per_*"}, .resamples = 0, .force = true});
    FAIL() << "an empty comparison was accepted";
  } catch (const InputError& e) {
    EXPECT_TRUE(Contains(e.what(), "'usd_per_*'")) << e.what();
    EXPECT_TRUE(Contains(e.what(), "price_per_hour")) << e.what();
  }
}

// A run's intervals are its own: naming the runs in another order moves its column, not them.
TEST_F(CompareTest, ARunsIntervalsDoNotDependOnItsColumn) {
  const CompareSettings settings{
      .metrics = {"ttft_p50_ms", "output_tokens_per_s"}, .resamples = 200, .force = true};
  const ComparisonTable ab = CompareRefs({Run(F().fast), Run(F().other_workload)}, settings);
  CompareSettings reversed = settings;
  reversed.baseline = 1;
  const ComparisonTable ba = CompareRefs({Run(F().other_workload), Run(F().fast)}, reversed);
  ASSERT_EQ(ab.rows.size(), ba.rows.size());
  for (std::size_t r = 0; r < ab.rows.size(); ++r) {
    for (std::size_t i = 0; i < 2; ++i) {
      const Cell& x = ab.rows[r].cells[i];
      const Cell& y = ba.rows[r].cells[1 - i];
      ASSERT_EQ(x.interval.has_value(), y.interval.has_value()) << ab.rows[r].metric;
      if (!x.interval) continue;  // a run too short for a rate interval
      EXPECT_EQ(x.interval->low, y.interval->low) << ab.rows[r].metric << " column " << i;
      EXPECT_EQ(x.interval->high, y.interval->high) << ab.rows[r].metric << " column " << i;
    }
  }
}

TEST_F(CompareTest, RepeatGroupIsTheMeanOverItsRunsWithTheirCv) {
  const ComparisonTable table =
      CompareRefs({Group(F().repeat_group), Run(F().fast)}, {.resamples = 300, .seed = 5});
  EXPECT_EQ(table.subjects[0], fmt::format("group {} (repeat x3, 3 runs)", F().repeat_group));
  std::vector<std::map<std::string, double>> runs;
  for (const RunId run : F().repeats) runs.push_back(Stored(run));
  const auto fast = Stored(F().fast);
  std::size_t with_cv = 0;
  for (const char* metric : {"ttft_p50_ms", "ttft_mean_ms", "output_tokens_per_s", "e2e_p99_ms",
                             "good_fraction", "requests_failed"}) {
    SCOPED_TRACE(metric);
    const Row* row = RowOf(table, metric);
    ASSERT_NE(row, nullptr);
    const Cell& cell = row->cells[0];
    double sum = 0;
    std::vector<double> values;
    for (const auto& run : runs) values.push_back(run.at(metric));
    for (const double v : values) sum += v;
    const double mean = sum / 3;
    double squares = 0;
    for (const double v : values) squares += (v - mean) * (v - mean);
    const double stddev = std::sqrt(squares / 2);  // over runs: n - 1
    ASSERT_TRUE(cell.value);
    EXPECT_NEAR(*cell.value, mean, 1e-12 * std::fabs(mean));
    EXPECT_EQ(cell.runs, 3u);
    if (mean != 0) {
      ASSERT_TRUE(cell.cv);
      EXPECT_NEAR(*cell.cv, stddev / std::fabs(mean), 1e-12);
      if (stddev > 0) ++with_cv;
    }
    // Bootstrap over the runs: the mean of 3 resampled runs lies within their range.
    ASSERT_TRUE(cell.interval);
    EXPECT_EQ(row->methods[0], ResampleMethod::kRuns);
    const auto [min, max] = std::minmax_element(values.begin(), values.end());
    EXPECT_GE(cell.interval->low, *min - 1e-9);
    EXPECT_LE(cell.interval->high, *max + 1e-9);
    EXPECT_LE(cell.interval->low, *cell.value);
    EXPECT_GE(cell.interval->high, *cell.value);
    // The run beside it: its stored figure, its ratio to the group's mean.
    const Cell& run = row->cells[1];
    EXPECT_EQ(*run.value, fast.at(metric));
    EXPECT_FALSE(run.cv);
    if (mean != 0) {
      EXPECT_DOUBLE_EQ(*run.ratio, fast.at(metric) / *cell.value);
    }
  }
  EXPECT_GE(with_cv, 4u);
}

TEST_F(CompareTest, OnlyRepeatGroupsWithRunsAreSubjects) {
  try {
    Load({Group(F().sweep_group)});
    FAIL() << "a sweep was taken as repeats";
  } catch (const Error& e) {
    EXPECT_TRUE(Contains(e.what(), "not a repeat group")) << e.what();
  }
  try {
    Load({Group(F().empty_repeat_group)});
    FAIL() << "a group without runs was compared";
  } catch (const Error& e) {
    EXPECT_TRUE(Contains(e.what(), "no runs")) << e.what();
  }
  try {
    Load({Run(F().fast), Run(RunId{99})});
    FAIL() << "run 99 does not exist";
  } catch (const Error& e) {
    EXPECT_TRUE(Contains(e.what(), "no run 99")) << e.what();
  }
  try {
    Load({Group(77)});
    FAIL() << "group 77 does not exist";
  } catch (const Error& e) {
    EXPECT_TRUE(Contains(e.what(), "no run group 77")) << e.what();
  }
}

TEST(ParseSubjectRef, RunsAndGroups) {
  const SubjectRef run = ParseSubjectRef("12", "RUN");
  EXPECT_EQ(run.kind, SubjectRef::Kind::kRun);
  EXPECT_EQ(run.id, 12);
  const SubjectRef group = ParseSubjectRef("group:3", "RUN");
  EXPECT_EQ(group.kind, SubjectRef::Kind::kGroup);
  EXPECT_EQ(group.id, 3);
  EXPECT_EQ(group.text, "group:3");
  EXPECT_EQ(ParseSubjectRef("g4", "RUN").kind, SubjectRef::Kind::kGroup);
  EXPECT_EQ(ParseSubjectRef("g4", "RUN").id, 4);
  for (const char* bad : {"", "0", "-1", "x", "3x", "group:", "group:0", "groupe:1", "1.5"}) {
    try {
      ParseSubjectRef(bad, "--baseline");
      FAIL() << "accepted '" << bad << "'";
    } catch (const InputError& e) {
      EXPECT_TRUE(Contains(e.what(), "--baseline")) << e.what();
    }
  }
}

// RFC 4180 fields of one line (quotes doubled inside quoted fields).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

std::string Number(const std::optional<double>& v) { return v ? fmt::format("{}", *v) : ""; }

TEST_F(CompareTest, CsvHasOneLinePerRowAndSubject) {
  const ComparisonTable table =
      CompareRefs({Group(F().repeat_group), Run(F().fast)},
                  {.metrics = {"ttft_*", "output_tokens_per_s*"}, .resamples = 100});
  const std::vector<std::string> lines = Lines(ComparisonCsv(table));
  ASSERT_EQ(lines.size(), 1 + table.rows.size() * 2);
  EXPECT_EQ(lines[0],
            "metric,label,unit,section,subject,baseline,value,ci_low,ci_high,ratio,ratio_ci_low,"
            "ratio_ci_high,significant,cv,interval_method");
  std::size_t line = 1;
  for (const Row& row : table.rows) {
    for (std::size_t i = 0; i < 2; ++i, ++line) {
      const std::vector<std::string> f = CsvFields(lines[line]);
      ASSERT_EQ(f.size(), 15u) << lines[line];
      const Cell& c = row.cells[i];
      EXPECT_EQ(f[0], row.metric);
      EXPECT_EQ(f[1], row.label);
      EXPECT_EQ(f[2], row.unit);
      EXPECT_EQ(f[3], ToString(row.section));
      EXPECT_EQ(f[4], table.subjects[i]);
      EXPECT_EQ(f[5], i == 0 ? "yes" : "no");
      ASSERT_TRUE(c.value);
      EXPECT_EQ(std::stod(f[6]), *c.value) << "full precision";
      EXPECT_EQ(f[7], Number(c.interval ? std::optional(c.interval->low) : std::nullopt));
      EXPECT_EQ(f[9], Number(c.ratio));
      EXPECT_EQ(f[11],
                Number(c.ratio_interval ? std::optional(c.ratio_interval->high) : std::nullopt));
      EXPECT_EQ(f[12], c.significant ? (*c.significant ? "yes" : "no") : "");
      EXPECT_EQ(f[13], Number(c.cv));
      EXPECT_EQ(f[14], row.methods[i] ? std::string(ToString(*row.methods[i])) : "");
    }
  }
  // The group's label has a comma: quoted.
  EXPECT_TRUE(Contains(lines[1], fmt::format("\"group {} (repeat x3, 3 runs)\"", F().repeat_group)))
      << lines[1];
}

TEST_F(CompareTest, JsonHoldsEveryCellAndTheSubjects) {
  const auto subjects = Load({Run(F().fast), Run(F().other_workload)});
  const ComparisonTable table =
      Compare(F().db_path, subjects,
              {.metrics = {"ttft_p50_ms", "output_tokens_per_s", "requests_total"},
               .resamples = 100,
               .seed = 9,
               .force = true});
  const nlohmann::json j = nlohmann::json::parse(ComparisonJson(table, subjects));
  EXPECT_EQ(j["seed"], 9);
  EXPECT_EQ(j["bootstrap_resamples"], 100);
  EXPECT_EQ(j["baseline"], 0);
  EXPECT_DOUBLE_EQ(j["confidence"].get<double>(), 0.95);
  ASSERT_EQ(j["subjects"].size(), 2u);
  EXPECT_EQ(j["subjects"][0]["kind"], "run");
  EXPECT_EQ(j["subjects"][0]["run_ids"], nlohmann::json::array({F().fast.value}));
  EXPECT_TRUE(j["subjects"][0]["group_id"].is_null());
  EXPECT_EQ(j["subjects"][1]["workload_hash"], "00000000000000bb");
  EXPECT_EQ(j["subjects"][0]["validity"], "valid");
  EXPECT_EQ(j["not_like_for_like"].size(), 1u);
  EXPECT_EQ(j["not_like_for_like"][0], table.differences[0]);
  EXPECT_EQ(j["warnings"].size(), table.warnings.size());
  ASSERT_EQ(j["figures"].size(), table.rows.size());
  ASSERT_EQ(table.rows.size(), 3u);
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const Row& row = table.rows[r];
    const nlohmann::json& figure = j["figures"][r];
    EXPECT_EQ(figure["metric"], row.metric);
    EXPECT_EQ(figure["unit"], row.unit);
    EXPECT_EQ(figure["section"], ToString(row.section));
    ASSERT_EQ(figure["values"].size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
      const Cell& c = row.cells[i];
      const nlohmann::json& v = figure["values"][i];
      EXPECT_EQ(v["value"].get<double>(), *c.value);
      EXPECT_EQ(v["runs"], 1);
      EXPECT_EQ(v["ci_low"].is_null(), !c.interval);
      if (c.interval) {
        EXPECT_EQ(v["ci_low"].get<double>(), c.interval->low);
        EXPECT_EQ(v["ci_high"].get<double>(), c.interval->high);
      }
      EXPECT_EQ(v["ratio_ci_low"].is_null(), !c.ratio_interval);
      EXPECT_EQ(v["significant"].is_null(), !c.significant.has_value());
      EXPECT_EQ(v["interval_method"].is_null(), !row.methods[i]);
    }
  }
  EXPECT_EQ(j["figures"][0]["values"][0]["interval_method"], "time blocks");
  EXPECT_EQ(j["figures"][1]["values"][1]["interval_method"], "requests");
  EXPECT_TRUE(j["figures"][2]["higher_is_better"].is_null());  // requests_total
}

TEST_F(CompareTest, MarkdownHasBothColumnsAndTheWarnings) {
  const auto subjects = Load({Run(F().fast), Run(F().slow)});
  const ComparisonTable table =
      Compare(F().db_path, subjects, {.metrics = {"ttft_p50_ms"}, .resamples = 100});
  const std::string md = ComparisonMarkdown(table, subjects);
  EXPECT_TRUE(
      Contains(md, fmt::format("| Figure | run {} (fast) | run {} (slow) |\n|---|---:|---:|",
                               F().fast.value, F().slow.value)))
      << md;
  EXPECT_TRUE(Contains(md, "| **Latency** |")) << md;
  EXPECT_TRUE(Contains(md, "| TTFT p50 ↓ |")) << md;
  EXPECT_TRUE(Contains(md, "<br>×")) << md;  // the ratio under the slow run's value
  EXPECT_TRUE(Contains(md, "**Warnings**")) << md;
  EXPECT_TRUE(Contains(md, "schedule lag too high")) << md;
}

}  // namespace
}  // namespace infermeter::compare

namespace infermeter::compare {
namespace {

// The ratio text shows every ratio there is: with its interval and the not-significant mark
// when it has one, bare when only the values are known (a baseline without resamples).
TEST(RatioText, ShowsTheRatioWithWhatIsKnownOfIt) {
  EXPECT_EQ(RatioText(Cell{.value = 2.0}), "");
  EXPECT_EQ(RatioText(Cell{.value = 2.0, .interval = Interval{1.9, 2.1}, .ratio = 1.087}),
            "×1.087");
  EXPECT_EQ(
      RatioText(Cell{
          .value = 2.0, .ratio = 0.8, .ratio_interval = Interval{0.7, 0.9}, .significant = true}),
      "×0.800 [0.700, 0.900]");
  EXPECT_EQ(RatioText(Cell{.value = 2.0,
                           .ratio = 0.95,
                           .ratio_interval = Interval{0.9, 1.01},
                           .significant = false}),
            "×0.950 [0.900, 1.010] ~");
}

}  // namespace
}  // namespace infermeter::compare
