#pragma once
// What importers do with a malformed record: throw (fail) or count it and go on (skip).

#include <cstdint>
#include <string>
#include <vector>

#include "infermeter/core/error.h"
#include "infermeter/workloads/import.h"

namespace infermeter::workloads::detail {

class BadRecords {
 public:
  explicit BadRecords(OnBadRecord mode) : mode_(mode) {}
  // Throws `error` in fail mode; records it in skip mode.
  void Handle(const InputError& error) {
    if (mode_ == OnBadRecord::kFail) throw error;
    ++skipped_;
    if (examples_.size() < kMaxExamples) examples_.push_back(error.what());
  }
  std::int64_t skipped() const { return skipped_; }
  std::vector<std::string>& examples() { return examples_; }

 private:
  static constexpr std::size_t kMaxExamples = 10;
  OnBadRecord mode_;
  std::int64_t skipped_ = 0;
  std::vector<std::string> examples_;
};

// Everything an importer gets.
struct ImportContext {
  std::string source;
  const ImportOptions* options;
  BadRecords* bad;
};

}  // namespace infermeter::workloads::detail
