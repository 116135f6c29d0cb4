#include "infermeter/compare/subject.h"

#include <charconv>
#include <map>

#include <fmt/format.h>

#include "infermeter/core/error.h"
#include "infermeter/results/store.h"

namespace infermeter::compare {
namespace {

std::optional<std::int64_t> PositiveId(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

std::string RunLabel(const dashboard::CatalogRun& run) {
  return run.run.info.name.empty()
             ? fmt::format("run {}", run.run.id.value)
             : fmt::format("run {} ({})", run.run.id.value, run.run.info.name);
}

}  // namespace

SubjectRef ParseSubjectRef(std::string_view text, std::string_view field) {
  SubjectRef ref{.kind = SubjectRef::Kind::kRun, .id = 0, .text = std::string(text)};
  std::string_view id = text;
  for (const std::string_view prefix : {"group:", "g"}) {
    if (text.starts_with(prefix)) {
      ref.kind = SubjectRef::Kind::kGroup;
      id = text.substr(prefix.size());
      break;
    }
  }
  const std::optional<std::int64_t> value = PositiveId(id);
  if (!value) {
    throw InputError({.source = "<command line>", .field = std::string(field)},
                     fmt::format("'{}': expected a run id (3) or a repeat group (group:2); "
                                 "`infermeter runs` lists both",
                                 text));
  }
  ref.id = *value;
  return ref;
}

std::vector<Subject> LoadSubjects(const std::string& db_path, const std::vector<SubjectRef>& refs) {
  dashboard::RunCatalog catalog = dashboard::LoadRunCatalog(db_path);
  std::map<std::int64_t, results::RunGroup> groups;
  for (results::RunGroup& group : results::ResultsStore::OpenForReading(db_path).ListGroups()) {
    groups.emplace(group.id, std::move(group));
  }
  std::vector<Subject> subjects;
  for (const SubjectRef& ref : refs) {
    Subject subject{.ref = ref, .label = {}, .runs = {}};
    if (ref.kind == SubjectRef::Kind::kRun) {
      for (const dashboard::CatalogRun& run : catalog.runs) {
        if (run.run.id.value == ref.id) subject.runs.push_back(run);
      }
      if (subject.runs.empty()) {
        throw Error(fmt::format("{}: no run {} (`infermeter runs --db {}` lists them)", db_path,
                                ref.id, db_path));
      }
      subject.label = RunLabel(subject.first());
    } else {
      const auto group = groups.find(ref.id);
      if (group == groups.end()) throw Error(fmt::format("{}: no run group {}", db_path, ref.id));
      if (group->second.kind != results::RunGroupKind::kRepeat) {
        throw Error(fmt::format(
            "{}: group {} is a {}, not a repeat group: its runs differ on purpose; compare its "
            "runs by id instead",
            db_path, ref.id, results::ToString(group->second.kind)));
      }
      for (const dashboard::CatalogRun& run : catalog.runs) {
        if (run.run.info.group_id == ref.id) subject.runs.push_back(run);
      }
      if (subject.runs.empty()) {
        throw Error(fmt::format("{}: repeat group {} has no runs yet", db_path, ref.id));
      }
      subject.label =
          fmt::format("group {} ({}, {} runs)", ref.id, group->second.name, subject.runs.size());
    }
    subjects.push_back(std::move(subject));
  }
  return subjects;
}

}  // namespace infermeter::compare
