#pragma once
// How `infermeter run --repeat N` shows a repeat group: the spread of the key figures over its
// runs as a table on stdout, and the group's result JSON, which is both stored as
// run_groups.result and printed by --json (docs/RESULTS.md, "run_groups").

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infermeter/core/ids.h"
#include "infermeter/harness/repeat_spread.h"

namespace infermeter::cli {

struct RepeatGroup {
  std::int64_t id = 0;      // run_groups.id
  std::int64_t repeat = 0;  // runs asked for
  std::string scenario;
  // The completed runs, in the order made: the runs `figures` is over.
  std::vector<RunId> run_ids;
  std::map<std::string, harness::FigureSpread> figures;
  // Ctrl-C ended the group early; the run it cut short (if one was going) stays in the group
  // but out of the spread, since its figures cover only part of the workload.
  bool interrupted = false;
  std::optional<RunId> interrupted_run;
};

nlohmann::json RepeatGroupJson(const RepeatGroup& group);
void PrintRepeatSpread(std::ostream& out, const RepeatGroup& group);

}  // namespace infermeter::cli
