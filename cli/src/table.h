#pragma once
// A plain-text table for terminals: columns padded to their widest cell, numbers right-aligned.

#include <ostream>
#include <string>
#include <vector>

namespace infermeter::cli {

class TextTable {
 public:
  enum class Align { kLeft, kRight };
  void AddColumn(std::string header, Align align = Align::kLeft);
  // REQUIRES: one cell per column.
  void AddRow(std::vector<std::string> cells);
  void Print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace infermeter::cli
