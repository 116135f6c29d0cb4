// A file's identity as readers that keep a connection open check it: the same file stays the
// same, a rewrite shows in size or time, a file made again under the name is another file.

#include "infermeter/results/file_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "infermeter/core/error.h"
#include "temp_db.h"

namespace infermeter::results {
namespace {

TEST(FileStateTest, SameFileRewrittenAndReplaced) {
  testing::TempDir dir;
  const std::string path = dir.File("runs.db");
  std::ofstream(path) << "one";
  const FileState first = StatFile(path);
  EXPECT_EQ(StatFile(path), first);
  EXPECT_EQ(first.size, 3);

  std::ofstream(path, std::ios::app) << "two";
  const FileState grown = StatFile(path);
  EXPECT_TRUE(grown.SameFile(first));
  EXPECT_NE(grown, first);
  EXPECT_EQ(grown.size, 6);

  // Held open, the old file keeps its inode, so the new one cannot reuse it.
  std::ifstream old(path);
  std::filesystem::remove(path);
  std::ofstream(path) << "one";
  EXPECT_FALSE(StatFile(path).SameFile(first));
}

TEST(FileStateTest, AMissingFileIsAnErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.File("missing.db");
  try {
    StatFile(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace infermeter::results
