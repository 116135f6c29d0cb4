#pragma once
// What `infermeter compare` and `infermeter report` put side by side: a run, or a repeat group
// (`infermeter run --repeat N`) whose runs make one column with intervals over the runs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infermeter/dashboard/run_catalog.h"

namespace infermeter::compare {

struct SubjectRef {
  enum class Kind { kRun, kGroup };
  Kind kind = Kind::kRun;
  std::int64_t id = 0;
  std::string text;  // as given: "3", "group:2"
};
// "3" (a run id) or "group:2" / "g2" (a repeat group). Throws InputError naming `field`.
SubjectRef ParseSubjectRef(std::string_view text, std::string_view field);

struct Subject {
  SubjectRef ref;
  std::string label;                        // "run 3 (chat on h100)", "group 2 (repeat x5: chat)"
  std::vector<dashboard::CatalogRun> runs;  // one for a run; the group's runs by id
  bool repeated() const { return ref.kind == SubjectRef::Kind::kGroup; }
  const dashboard::CatalogRun& first() const { return runs.front(); }
};

// Resolves `refs` against the results file's runs and groups, all read from one file. Throws
// Error naming the file and the id when a run or group does not exist, when a group is not a
// repeat group (a sweep's points are not repeats of each other), or when it has no runs yet.
std::vector<Subject> LoadSubjects(const std::string& db_path, const std::vector<SubjectRef>& refs);

}  // namespace infermeter::compare
