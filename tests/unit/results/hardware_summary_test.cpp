// A run's hardware in a few words, as the exporters label runs and the dashboard's Runs table
// shows them, from descriptions shaped as collectors/hardware_description.cpp writes them.

#include "infermeter/results/hardware_summary.h"

#include <gtest/gtest.h>

namespace infermeter::results {
namespace {

TEST(HardwareSummaryTest, DevicesCountedByName) {
  EXPECT_EQ(HardwareSummary(R"({"cpu_model":"Xeon","logical_cores":64,)"
                            R"("gpus":[{"name":"NVIDIA H100"},{"name":"NVIDIA H100"}],"npus":[]})"),
            "2x NVIDIA H100");
  EXPECT_EQ(HardwareSummary(R"({"cpu_model":"Xeon","gpus":[],)"
                            R"("npus":[{"name":"Ascend 910B"},{"name":"Ascend 910B"}]})"),
            "2x Ascend 910B");
  EXPECT_EQ(HardwareSummary(R"({"gpus":[{"name":"A"},{"name":"B"},{"name":"B"},{}]})"),
            "1x A + 2x B + 1x unknown");
}

TEST(HardwareSummaryTest, CpuHostWhenThereAreNoDevices) {
  EXPECT_EQ(HardwareSummary(R"({"cpu_model":"Xeon","logical_cores":64})"), "Xeon (64 cores)");
  EXPECT_EQ(HardwareSummary(R"({"cpu_model":"Xeon","gpus":[],"npus":[]})"), "Xeon");
}

TEST(HardwareSummaryTest, ARemoteServerIsNamedNotTheClientsDevices) {
  EXPECT_EQ(HardwareSummary(R"({"device":"server at http://10.0.0.5:8000","cpu_model":"Xeon",)"
                            R"("gpus":[{"name":"NVIDIA T4"}]})"),
            "server at http://10.0.0.5:8000");
}

TEST(HardwareSummaryTest, UnusableDescriptionsNeverThrow) {
  EXPECT_EQ(HardwareSummary("not json"), "unknown");
  EXPECT_EQ(HardwareSummary("[1,2]"), "unknown");
  EXPECT_EQ(HardwareSummary("{}"), "unknown");
  EXPECT_EQ(HardwareSummary(R"({"device":5,"cpu_model":7,"gpus":{"name":"x"}})"), "unknown");
  EXPECT_EQ(HardwareSummary(R"({"cpu_model":"Arm","logical_cores":"eight"})"), "Arm");
}

TEST(HardwareSummary, AServerOnThisMachineIsDescribedByItsDevices) {
  EXPECT_FALSE(ServedRemotely("server at http://127.0.0.1:8000"));
  EXPECT_FALSE(ServedRemotely("server at http://localhost:8000/v1"));
  EXPECT_FALSE(ServedRemotely("server at http://[::1]:8000"));
  EXPECT_TRUE(ServedRemotely("server at http://10.0.0.5:8000"));
  EXPECT_TRUE(ServedRemotely("server at https://llm.example.com/v1"));
  EXPECT_FALSE(ServedRemotely("NVIDIA H100"));
  EXPECT_EQ(HardwareSummary(
                R"({"device":"server at http://127.0.0.1:8000","cpu_model":"Xeon",)"
                R"("gpus":[{"name":"NVIDIA H100 80GB HBM3"},{"name":"NVIDIA H100 80GB HBM3"}]})"),
            "2x NVIDIA H100 80GB HBM3");
}

}  // namespace
}  // namespace infermeter::results
