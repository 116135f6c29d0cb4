// The `npu-smi info` parser on every layout in tests/data/npu-smi (see its README for where each
// comes from), with the exact values written there, and on broken tables.
#include "infermeter/collectors/npu_smi.h"
#include "infermeter/collectors/npu_smi_runner.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

std::string FixturePath(const std::string& name) {
  const char* dir = std::getenv("INFERMETER_SOURCE_DIR");
  return (std::filesystem::path(dir ? dir : ".") / "tests" / "data" / "npu-smi" / name).string();
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

NpuSmiInfo ParseFixture(const std::string& name) {
  return ParseNpuSmiInfo(Read(FixturePath(name)), name);
}

// The text with `from` replaced by `to` (once; the test fails when `from` is not there).
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The first `count` lines of `text`, or all but line `drop` (1-based).
std::string KeepLines(const std::string& text, int count, int drop = 0) {
  std::istringstream in(text);
  std::string line, out;
  for (int n = 1; std::getline(in, line) && n <= count; ++n) {
    if (n != drop) out += line + "\n";
  }
  return out;
}

std::string Bus(const char* bus) { return std::string("0000:") + bus + ":00.0"; }

// Parses, expecting an InputError; returns it.
InputError ParseError(const std::string& text, const std::string& source) {
  try {
    ParseNpuSmiInfo(text, source);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError for " << source;
  return InputError({.source = source}, "none");
}

void ExpectChip(const NpuSmiChip& c, int npu, int chip, const std::string& name,
                std::optional<double> power, double temp, std::optional<double> aicore,
                std::optional<NpuSmiUsage> memory, std::optional<NpuSmiUsage> hbm,
                const std::string& bus) {
  SCOPED_TRACE("NPU " + std::to_string(npu) + " chip " + std::to_string(chip));
  EXPECT_EQ(c.npu_id, npu);
  EXPECT_EQ(c.chip_id, chip);
  EXPECT_EQ(c.name, name);
  EXPECT_EQ(c.power_w, power);
  EXPECT_EQ(c.temperature_c, temp);
  EXPECT_EQ(c.aicore_percent, aicore);
  EXPECT_EQ(c.memory_mb, memory);
  EXPECT_EQ(c.hbm_mb, hbm);
  EXPECT_EQ(c.bus_id, bus);
}

void ExpectProcess(const NpuSmiProcess& p, int npu, int chip, std::int64_t pid,
                   const std::string& name, std::int64_t memory_mb,
                   std::optional<std::int64_t> in_container = std::nullopt) {
  SCOPED_TRACE("pid " + std::to_string(pid));
  EXPECT_EQ(p.npu_id, npu);
  EXPECT_EQ(p.chip_id, chip);
  EXPECT_EQ(p.pid, pid);
  EXPECT_EQ(p.name, name);
  EXPECT_EQ(p.memory_mb, memory_mb);
  EXPECT_EQ(p.pid_in_container, in_container);
}

TEST(NpuSmiParser, Atlas800TA2With8x910B3AndProcesses) {
  const NpuSmiInfo info = ParseFixture("atlas800t_a2_910b3.txt");
  EXPECT_EQ(info.tool_version, "23.0.6");
  EXPECT_EQ(info.driver_version, "23.0.6");
  ASSERT_EQ(info.chips.size(), 8u);
  struct Row {
    const char* bus;
    double power;
    double temp;
    double aicore;
    std::int64_t hbm_used;
  };
  const Row rows[] = {{"C1", 172.4, 46, 38, 58712}, {"C2", 168.9, 45, 41, 58690},
                      {"81", 175.0, 47, 40, 58701}, {"82", 170.3, 44, 39, 58695},
                      {"01", 131.6, 41, 12, 24577}, {"02", 93.2, 37, 0, 3384},
                      {"41", 92.8, 36, 0, 3379},    {"42", 94.1, 38, 0, 3382}};
  for (int i = 0; i < 8; ++i) {
    const NpuSmiChip& c = info.chips[static_cast<std::size_t>(i)];
    ExpectChip(c, i, 0, "910B3", rows[i].power, rows[i].temp, rows[i].aicore, NpuSmiUsage{0, 0},
               NpuSmiUsage{rows[i].hbm_used, 65536}, Bus(rows[i].bus));
    EXPECT_EQ(c.health, i == 6 ? "Warning" : "OK");
    EXPECT_EQ(c.hugepages, (NpuSmiUsage{0, 0}));
    EXPECT_FALSE(c.phy_id);
    EXPECT_EQ(c.line, 7 + 3 * i);
  }
  EXPECT_TRUE(info.has_process_table);
  ASSERT_EQ(info.processes.size(), 6u);
  for (int i = 0; i < 4; ++i) {
    ExpectProcess(info.processes[static_cast<std::size_t>(i)], i, 0, 2876120 + i, "python3", 55296);
  }
  ExpectProcess(info.processes[4], 4, 0, 2881002, "VLLM::EngineCor", 20480);
  ExpectProcess(info.processes[5], 4, 0, 2881090, "", 1024);  // npu-smi printed no name
  EXPECT_EQ(info.idle_npus, (std::vector<int>{5, 6, 7}));
}

TEST(NpuSmiParser, Atlas800With910AShowsDdrAndHbm) {
  const NpuSmiInfo info = ParseFixture("atlas800_9000_910a.txt");
  EXPECT_EQ(info.tool_version, "22.0.3.1");
  EXPECT_EQ(info.driver_version, "22.0.3.1");
  ASSERT_EQ(info.chips.size(), 8u);
  struct Row {
    const char* bus;
    double power, temp, aicore;
    std::int64_t ddr_used, hbm_used;
  };
  const Row rows[] = {{"61", 209.3, 52, 86, 1867, 30212}, {"DB", 205.8, 50, 84, 1867, 30208},
                      {"B2", 211.2, 53, 88, 1868, 30214}, {"3E", 207.0, 51, 85, 1866, 30210},
                      {"60", 66.4, 44, 0, 1867, 0},       {"DA", 62.7, 33, 0, 1865, 0},
                      {"B1", 64.5, 35, 0, 1865, 0},       {"3D", 63.9, 40, 0, 1866, 0}};
  for (int i = 0; i < 8; ++i) {
    const NpuSmiChip& c = info.chips[static_cast<std::size_t>(i)];
    ExpectChip(c, i, 0, "910A", rows[i].power, rows[i].temp, rows[i].aicore,
               NpuSmiUsage{rows[i].ddr_used, 15077}, NpuSmiUsage{rows[i].hbm_used, 32768},
               Bus(rows[i].bus));
    EXPECT_EQ(c.hugepages, (NpuSmiUsage{15, 15}));
    EXPECT_EQ(c.health, "OK");
  }
  ASSERT_EQ(info.processes.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    ExpectProcess(info.processes[static_cast<std::size_t>(i)], i, 0, 41230 + i, "python", 29184);
  }
  EXPECT_EQ(info.idle_npus, (std::vector<int>{4, 5, 6, 7}));
}

TEST(NpuSmiParser, Atlas300IDuo310P3HasNoPowerAndNoHbm) {
  const NpuSmiInfo info = ParseFixture("atlas300i_duo_310p3.txt");
  EXPECT_EQ(info.tool_version, "25.2.0");
  ASSERT_EQ(info.chips.size(), 4u);
  ExpectChip(info.chips[0], 2, 0, "310P3", std::nullopt, 45, 0, NpuSmiUsage{1529, 44280},
             std::nullopt, "0000:01:00.0");
  ExpectChip(info.chips[1], 2, 1, "310P3", std::nullopt, 43, 0, NpuSmiUsage{1412, 43693},
             std::nullopt, "0000:01:00.0");
  ExpectChip(info.chips[2], 5, 0, "310P3", std::nullopt, 48, 23, NpuSmiUsage{9871, 44280},
             std::nullopt, "0000:81:00.0");
  ExpectChip(info.chips[3], 5, 1, "310P3", std::nullopt, 47, 19, NpuSmiUsage{9644, 43693},
             std::nullopt, "0000:81:00.0");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(info.chips[static_cast<std::size_t>(i)].phy_id, i);  // the "Device" column
    EXPECT_EQ(info.chips[static_cast<std::size_t>(i)].hugepages, (NpuSmiUsage{0, 0}));
  }
  ASSERT_EQ(info.processes.size(), 2u);
  ExpectProcess(info.processes[0], 5, 0, 19234, "mindie_llm_back", 8320);
  ExpectProcess(info.processes[1], 5, 1, 19235, "mindie_llm_back", 8192);
  EXPECT_EQ(info.idle_npus, (std::vector<int>{2}));
}

TEST(NpuSmiParser, IdleAndBusy910B4) {
  const NpuSmiInfo idle = ParseFixture("atlas800i_a2_910b4_idle.txt");
  EXPECT_EQ(idle.tool_version, "24.1.1");
  ASSERT_EQ(idle.chips.size(), 2u);
  ExpectChip(idle.chips[0], 0, 0, "910B4", 90.0, 30, 0, NpuSmiUsage{0, 0}, NpuSmiUsage{2950, 32768},
             "0000:C1:00.0");
  ExpectChip(idle.chips[1], 1, 0, "910B4", 85.0, 31, 0, NpuSmiUsage{0, 0}, NpuSmiUsage{2951, 32768},
             "0000:C2:00.0");
  EXPECT_TRUE(idle.has_process_table);
  EXPECT_TRUE(idle.processes.empty());
  EXPECT_EQ(idle.idle_npus, (std::vector<int>{0, 1}));

  const NpuSmiInfo busy = ParseFixture("atlas800i_a2_910b4_busy.txt");
  ASSERT_EQ(busy.chips.size(), 2u);
  ExpectChip(busy.chips[0], 0, 0, "910B4", 250.5, 52, 45, NpuSmiUsage{0, 0},
             NpuSmiUsage{29876, 32768}, "0000:C1:00.0");
  ExpectChip(busy.chips[1], 1, 0, "910B4", 240.5, 50, 55, NpuSmiUsage{0, 0},
             NpuSmiUsage{29654, 32768}, "0000:C2:00.0");
  ASSERT_EQ(busy.processes.size(), 2u);
  ExpectProcess(busy.processes[0], 0, 0, 3010, "python3", 26880);
  ExpectProcess(busy.processes[1], 1, 0, 3011, "python3", 26624);
  EXPECT_TRUE(busy.idle_npus.empty());
}

TEST(NpuSmiParser, AtlasA3TwoChipsPerNpuWideLayout) {
  const NpuSmiInfo info = ParseFixture("atlas_a3_ascend910.txt");
  EXPECT_EQ(info.tool_version, "26.0.rc2");
  EXPECT_EQ(info.driver_version, "26.0.rc2");
  ASSERT_EQ(info.chips.size(), 4u);
  // Power is shown once per NPU, on its first chip; "-" on the second.
  ExpectChip(info.chips[0], 0, 0, "Ascend910", 162.6, 34, 0, NpuSmiUsage{0, 0},
             NpuSmiUsage{3419, 65536}, "0000:9D:00.0");
  ExpectChip(info.chips[1], 0, 1, "Ascend910", std::nullopt, 34, 0, NpuSmiUsage{0, 0},
             NpuSmiUsage{2874, 65536}, "0000:9F:00.0");
  ExpectChip(info.chips[2], 1, 0, "Ascend910", 168.1, 37, 27, NpuSmiUsage{0, 0},
             NpuSmiUsage{31877, 65536}, "0000:99:00.0");
  ExpectChip(info.chips[3], 1, 1, "Ascend910", std::nullopt, 36, 25, NpuSmiUsage{0, 0},
             NpuSmiUsage{31520, 65536}, "0000:9B:00.0");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(info.chips[static_cast<std::size_t>(i)].phy_id, i);
  ASSERT_EQ(info.processes.size(), 2u);
  ExpectProcess(info.processes[0], 1, 0, 632268, "python3.11", 28672, std::nullopt);
  ExpectProcess(info.processes[1], 1, 1, 632268, "python3.11", 28416, 1342);
  EXPECT_EQ(info.idle_npus, (std::vector<int>{0}));
}

TEST(NpuSmiParser, TruncatedTableNamesLineAndColumn) {
  const InputError e =
      ParseError(Read(FixturePath("malformed_truncated.txt")), "malformed_truncated.txt");
  EXPECT_EQ(e.where().line, 16);
  EXPECT_EQ(e.where().field, "Hugepages-Usage(page)");
  EXPECT_NE(std::string(e.what()).find("malformed_truncated.txt:16"), std::string::npos)
      << e.what();
  EXPECT_NE(e.problem().find("cut short"), std::string::npos) << e.what();
}

TEST(NpuSmiParser, NonNumberNamesLineAndColumn) {
  const InputError e =
      ParseError(Read(FixturePath("malformed_not_a_number.txt")), "malformed_not_a_number.txt");
  EXPECT_EQ(e.where().line, 10);
  EXPECT_EQ(e.where().field, "Temp(C)");
  EXPECT_NE(e.problem().find("expected a number or NA, found '3O'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("malformed_not_a_number.txt:10: field 'Temp(C)'"),
            std::string::npos)
      << e.what();
}

TEST(NpuSmiParser, UnknownHeaderColumnIsAnError) {
  const InputError e =
      ParseError(Read(FixturePath("malformed_unknown_header.txt")), "malformed_unknown_header.txt");
  EXPECT_EQ(e.where().line, 4);
  EXPECT_EQ(e.where().field, "Fan(%)");
  EXPECT_NE(e.problem().find("unknown column"), std::string::npos) << e.what();
  EXPECT_NE(e.problem().find("'Temp(C)'"), std::string::npos) << e.what();  // says what is known
}

TEST(NpuSmiParser, ChipWithoutItsSecondRow) {
  const std::string idle = Read(FixturePath("atlas800i_a2_910b4_idle.txt"));
  // NPU 0's second row (line 8) dropped: a separator follows its first row.
  InputError e = ParseError(KeepLines(idle, 1000, 8), "missing_row");
  EXPECT_EQ(e.where().line, 8);
  EXPECT_EQ(e.where().field, "Chip");
  EXPECT_NE(e.problem().find("second row"), std::string::npos) << e.what();

  // The text ends after NPU 0's first row.
  e = ParseError(KeepLines(idle, 7), "ends_early");
  EXPECT_EQ(e.where().field, "Chip");
  EXPECT_NE(e.problem().find("line 7"), std::string::npos) << e.what();
}

TEST(NpuSmiParser, NoTableAtAll) {
  const InputError e = ParseError(
      "dcmi model initialized failed, because the device is used. ret is -8020\n", "npu-smi info");
  EXPECT_FALSE(e.where().line);
  EXPECT_NE(e.problem().find("no NPU table"), std::string::npos) << e.what();
  EXPECT_THROW(ParseNpuSmiInfo("", "empty"), InputError);
}

TEST(NpuSmiParser, RowBeforeAnyHeader) {
  // nvidia-smi's table is not npu-smi's: its first row comes before any header we know.
  const InputError e =
      ParseError("+----------------------+\n|   0  NVIDIA H100 80GB HBM3 |\n", "nvidia-smi");
  EXPECT_EQ(e.where().line, 2);
  EXPECT_NE(e.problem().find("before any header"), std::string::npos) << e.what();
}

TEST(NpuSmiParser, BadProcessRowAndExtraValues) {
  const std::string busy = Read(FixturePath("atlas800i_a2_910b4_busy.txt"));
  InputError e = ParseError(Replace(busy, "| 26880 ", "| 26k   "), "bad_process");
  EXPECT_EQ(e.where().line, 16);
  EXPECT_EQ(e.where().field, "Process memory(MB)");
  EXPECT_NE(e.problem().find("'26k'"), std::string::npos) << e.what();

  const std::string row =
      "| 250.5" + std::string(7, ' ') + "52" + std::string(16, ' ') + "0    / 0";
  e = ParseError(Replace(busy, row + "      ", row + "     7"), "extra_value");
  EXPECT_EQ(e.where().line, 7);
  EXPECT_NE(e.problem().find("'7'"), std::string::npos) << e.what();

  e = ParseError(Replace(busy, "29876/ 32768", "29876 of 32k"), "bad_usage");
  EXPECT_EQ(e.where().line, 8);
  EXPECT_EQ(e.where().field, "HBM-Usage(MB)");
}

TEST(NpuSmiParser, ToleratesCarriageReturnsTabsAndTextAroundTheTable) {
  std::string text = Read(FixturePath("atlas800i_a2_910b4_busy.txt"));
  // A tab inside a header cell, as PaddlePaddle/PaddleCustomDevice#767 shows.
  text = Replace(text, "Process memory(MB)      |", "Process memory(MB)\t      |");
  std::string crlf = "NPU:\n";  // how people paste it; not part of the table
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const NpuSmiInfo info = ParseNpuSmiInfo(crlf, "crlf");
  ASSERT_EQ(info.chips.size(), 2u);
  EXPECT_EQ(info.chips[1].hbm_mb, (NpuSmiUsage{29654, 32768}));
  ASSERT_EQ(info.processes.size(), 2u);
  EXPECT_EQ(info.processes[1].memory_mb, 26624);
}

TEST(NpuSmiParser, ValuesFollowTheirHeaderWhenOneIsBlank) {
  const std::string idle = Read(FixturePath("atlas800i_a2_910b4_idle.txt"));
  // A first row with no name: the id still lands under NPU, found by position.
  const NpuSmiInfo info =
      ParseNpuSmiInfo(Replace(idle, "| 0     910B4", "| 0          "), "no_name");
  EXPECT_EQ(info.chips[0].name, "");
  EXPECT_EQ(info.chips[0].npu_id, 0);
  EXPECT_EQ(info.chips[0].health, "OK");
  // Temperature blank: the hugepages value is still placed under its own header.
  const NpuSmiInfo no_temp =
      ParseNpuSmiInfo(Replace(idle, "| 85.0        31", "| 85.0          "), "no_temp");
  EXPECT_EQ(no_temp.chips[1].power_w, 85.0);
  EXPECT_FALSE(no_temp.chips[1].temperature_c);
  EXPECT_EQ(no_temp.chips[1].hugepages, (NpuSmiUsage{0, 0}));
}

TEST(FindExecutable, PathsAndPathLookup) {
  const std::optional<std::string> sh = FindExecutable("sh");
  ASSERT_TRUE(sh);
  EXPECT_TRUE(sh->ends_with("/sh")) << *sh;
  EXPECT_EQ(FindExecutable(*sh), sh);
  EXPECT_FALSE(FindExecutable("infermeter-no-such-tool"));
  EXPECT_FALSE(FindExecutable("/nonexistent/npu-smi"));
  EXPECT_FALSE(FindExecutable(""));
}

}  // namespace
}  // namespace infermeter::collectors
