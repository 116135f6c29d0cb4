// make_dashboard_fixture OUT.db: writes the dashboard's fixture results file (fixture_db.h), for
// trying the desktop dashboard by hand or under Xvfb. Refuses to touch an existing file.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>

#include "fixture_db.h"

int main(int argc, char** argv) {
  if (argc != 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    std::fprintf(stderr,
                 "usage: make_dashboard_fixture OUT.db\n"
                 "Writes six runs (H100 and Ascend 910B3; chat, agentic, failed requests, one "
                 "still running) into a new results file.\n");
    return 2;
  }
  const std::string path = argv[1];
  std::error_code error;
  if (std::filesystem::exists(path, error) || error) {
    std::fprintf(stderr,
                 "make_dashboard_fixture: '%s' already exists; not overwriting it (remove it "
                 "first, or name a new file)\n",
                 path.c_str());
    return 1;
  }
  try {
    const infermeter::testing::FixtureRuns runs = infermeter::testing::WriteDashboardFixture(path);
    std::printf(
        "wrote %s: runs h100_chat=%lld h100_agentic=%lld h100_failed_requests=%lld "
        "ascend_chat=%lld ascend_agentic=%lld running=%lld\n",
        path.c_str(), static_cast<long long>(runs.h100_chat.value),
        static_cast<long long>(runs.h100_agentic.value),
        static_cast<long long>(runs.h100_failed_requests.value),
        static_cast<long long>(runs.ascend_chat.value),
        static_cast<long long>(runs.ascend_agentic.value),
        static_cast<long long>(runs.running.value));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_dashboard_fixture: %s\n", e.what());
    return 1;
  }
  return 0;
}
