#include "infermeter/collectors/npu_smi.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

// ---------------------------------------------------------------------------------------------
// Columns. Each is known by the header text npu-smi prints above it.

enum class Column {
  kNpu,
  kName,
  kChip,
  kPhyId,
  kHealth,
  kBusId,
  kPower,
  kTemp,
  kHugepages,
  kAiCore,
  kMemory,
  kHbm,
  kPid,
  kProcessName,
  kProcessMemory,
  kPidInContainer,
  kCount
};

struct KnownColumn {
  std::string_view header;
  Column column;
};

// Device table: one word per column, several columns to a '|' cell.
constexpr std::array kDeviceColumns{KnownColumn{"NPU", Column::kNpu},
                                    KnownColumn{"Name", Column::kName},
                                    KnownColumn{"Chip", Column::kChip},
                                    KnownColumn{"Phy-ID", Column::kPhyId},
                                    KnownColumn{"Device", Column::kPhyId},
                                    KnownColumn{"Health", Column::kHealth},
                                    KnownColumn{"Bus-Id", Column::kBusId},
                                    KnownColumn{"Power(W)", Column::kPower},
                                    KnownColumn{"Temp(C)", Column::kTemp},
                                    KnownColumn{"Hugepages-Usage(page)", Column::kHugepages},
                                    KnownColumn{"AICore(%)", Column::kAiCore},
                                    KnownColumn{"Memory-Usage(MB)", Column::kMemory},
                                    KnownColumn{"HBM-Usage(MB)", Column::kHbm}};

// Process table: a whole cell per column, except the first cell ("NPU     Chip").
constexpr std::array kProcessColumns{
    KnownColumn{"Process id", Column::kPid}, KnownColumn{"Process name", Column::kProcessName},
    KnownColumn{"Process memory(MB)", Column::kProcessMemory},
    KnownColumn{"Process id in container", Column::kPidInContainer}};

template <std::size_t N>
std::string KnownNames(const std::array<KnownColumn, N>& known) {
  std::string names;
  for (const KnownColumn& k : known)
    names += fmt::format("{}'{}'", names.empty() ? "" : ", ", k.header);
  return names;
}

// ---------------------------------------------------------------------------------------------
// Splitting lines into cells and cells into values.

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

// A word or value inside a cell, with its offset from the cell's start (the position the table
// printed it at, which is what ties a value to the header above it).
struct Token {
  std::string_view text;
  std::size_t offset = 0;
};

std::vector<Token> Words(std::string_view cell) {
  std::vector<Token> words;
  std::size_t i = 0;
  while (i < cell.size()) {
    while (i < cell.size() && IsBlank(cell[i])) ++i;
    const std::size_t start = i;
    while (i < cell.size() && !IsBlank(cell[i])) ++i;
    if (i > start) words.push_back({cell.substr(start, i - start), start});
  }
  return words;
}

// Words, with "used / total" (however npu-smi spaced the slash) joined into one value.
std::vector<Token> Values(std::string_view cell) {
  std::vector<Token> values;
  for (const Token& word : Words(cell)) {
    if (!values.empty() && (values.back().text.ends_with('/') || word.text.starts_with('/'))) {
      Token& last = values.back();
      last.text = cell.substr(last.offset, word.offset + word.text.size() - last.offset);
    } else {
      values.push_back(word);
    }
  }
  return values;
}

struct SplitLine {
  std::vector<std::string_view> cells;
  bool closed = true;  // the line ends with '|' (a row cut short does not)
};

SplitLine SplitCells(std::string_view line) {  // `line` starts with '|'
  SplitLine split;
  std::string_view rest = line.substr(1);
  while (true) {
    const std::size_t bar = rest.find('|');
    if (bar == std::string_view::npos) {
      if (!Trim(rest).empty()) {
        split.cells.push_back(rest);
        split.closed = false;
      }
      return split;
    }
    split.cells.push_back(rest.substr(0, bar));
    rest.remove_prefix(bar + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Layouts: which columns each cell of a row holds, and where their headers start.

struct HeaderColumn {
  Column column;
  std::string name;
  std::size_t offset = 0;
};
using CellLayout = std::vector<HeaderColumn>;
using RowLayout = std::vector<CellLayout>;

// The values of one row, by column (empty: the table had no value there).
using RowValues =
    std::array<std::optional<std::string_view>, static_cast<std::size_t>(Column::kCount)>;

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  NpuSmiInfo Run();

 private:
  [[noreturn]] void Fail(std::string_view field, const std::string& problem) const {
    throw InputError({.source = source_, .line = line_number_, .field = std::string(field)},
                     problem);
  }

  void OnTableLine(std::string_view line);
  void OnSeparator();
  RowLayout DeviceHeader(const SplitLine& split);
  RowLayout ProcessHeader(const SplitLine& split);
  RowValues ParseRow(const SplitLine& split, const RowLayout& layout);
  void AssignCell(std::string_view cell, const CellLayout& layout, RowValues& values);
  void AddChip(const RowValues& first, const RowValues& second);
  void AddProcess(const RowValues& values);
  std::string_view NameOf(Column column) const;

  std::string_view Require(const RowValues& values, Column column) const {
    const auto& value = values[static_cast<std::size_t>(column)];
    if (!value || value->empty()) Fail(NameOf(column), "expected a value, found none");
    return *value;
  }
  std::int64_t Integer(std::string_view text, Column column) const;
  std::optional<double> Number(const RowValues& values, Column column) const;
  std::optional<NpuSmiUsage> Usage(const RowValues& values, Column column) const;

  enum class Section { kNone, kDeviceHeader, kDevices, kProcesses };

  std::string_view text_;
  const std::string& source_;
  std::int64_t line_number_ = 0;
  Section section_ = Section::kNone;
  RowLayout device_first_, device_second_, processes_;
  std::optional<RowValues> pending_;  // a chip's first row, waiting for its second
  std::int64_t pending_line_ = 0;
  NpuSmiInfo info_;
};

std::string_view Parser::NameOf(Column column) const {
  for (const RowLayout* layout : {&device_first_, &device_second_, &processes_}) {
    for (const CellLayout& cell : *layout) {
      for (const HeaderColumn& h : cell) {
        if (h.column == column) return h.name;
      }
    }
  }
  for (const KnownColumn& k : kDeviceColumns) {
    if (k.column == column) return k.header;
  }
  for (const KnownColumn& k : kProcessColumns) {
    if (k.column == column) return k.header;
  }
  return "";
}

NpuSmiInfo Parser::Run() {
  std::size_t start = 0;
  while (start <= text_.size()) {
    std::size_t end = text_.find('\n', start);
    if (end == std::string_view::npos) end = text_.size();
    ++line_number_;
    const std::string_view line = Trim(text_.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    if (line.front() == '+') {
      OnSeparator();
    } else if (line.front() == '|') {
      OnTableLine(line);
    } else if (section_ == Section::kDeviceHeader || pending_) {
      Fail("", "expected a table line starting with '|', found text");
    }  // other text outside the table (notes, blank padding) carries nothing we read
  }
  if (section_ == Section::kDeviceHeader) {
    Fail("Chip", "the table ends after its first header line; expected '| Chip ...' next");
  }
  if (pending_) {
    Fail(NameOf(Column::kChip),
         fmt::format("the table ends after the first row of a chip (line {}); expected its second "
                     "row (Chip, Bus-Id, AICore(%), ...)",
                     pending_line_));
  }
  if (info_.chips.empty()) {
    line_number_ = 0;
    throw InputError({.source = source_},
                     "no NPU table: expected a header line '| NPU   Name   | Health ...' and a "
                     "row per chip, as `npu-smi info` prints");
  }
  return std::move(info_);
}

void Parser::OnSeparator() {
  if (section_ == Section::kDeviceHeader) {
    Fail("Chip", "expected the second header line ('| Chip ...'), found a separator");
  }
  if (pending_) {
    Fail(NameOf(Column::kChip),
         fmt::format("expected the second row of the chip that starts on line {}, found a "
                     "separator",
                     pending_line_));
  }
}

void Parser::OnTableLine(std::string_view line) {
  const SplitLine split = SplitCells(line);
  const std::string_view first = split.cells.empty() ? std::string_view() : Trim(split.cells[0]);
  const std::vector<Token> first_words = Words(first);

  if (section_ == Section::kDeviceHeader) {
    device_second_ = DeviceHeader(split);
    if (device_second_.empty() || device_second_[0].empty() ||
        device_second_[0][0].column != Column::kChip) {
      Fail("Chip", "the second header line must start with 'Chip'");
    }
    section_ = Section::kDevices;
    return;
  }
  if (first.starts_with("npu-smi")) {
    for (std::size_t i = 0; i + 1 < first_words.size(); ++i) {
      if (first_words[i].text == "npu-smi") info_.tool_version = first_words[i + 1].text;
      if (first_words[i].text == "Version:") info_.driver_version = first_words[i + 1].text;
    }
    return;
  }
  if (first_words.size() >= 2 && first_words[0].text == "NPU" && first_words[1].text == "Chip") {
    processes_ = ProcessHeader(split);
    info_.has_process_table = true;
    section_ = Section::kProcesses;
    return;
  }
  if (!first_words.empty() && first_words[0].text == "NPU") {
    device_first_ = DeviceHeader(split);
    section_ = Section::kDeviceHeader;
    return;
  }
  constexpr std::string_view kIdle = "No running processes found in NPU";
  if (first.starts_with(kIdle)) {
    if (section_ != Section::kProcesses) Fail("", "a process line outside the process table");
    const std::string_view id = Trim(first.substr(kIdle.size()));
    info_.idle_npus.push_back(static_cast<int>(Integer(id, Column::kNpu)));
    return;
  }
  switch (section_) {
    case Section::kNone:
    case Section::kDeviceHeader:
      Fail("",
           "a table row before any header line; expected '| NPU   Name   | Health ...' "
           "(the NPU table) first");
    case Section::kDevices:
      if (!pending_) {
        pending_ = ParseRow(split, device_first_);
        pending_line_ = line_number_;
      } else {
        AddChip(*pending_, ParseRow(split, device_second_));
        pending_.reset();
      }
      return;
    case Section::kProcesses:
      AddProcess(ParseRow(split, processes_));
      return;
  }
}

RowLayout Parser::DeviceHeader(const SplitLine& split) {
  if (!split.closed) Fail("", "the header line is cut short (no closing '|')");
  RowLayout layout;
  for (std::string_view cell : split.cells) {
    CellLayout columns;
    for (const Token& word : Words(cell)) {
      const auto known = std::find_if(kDeviceColumns.begin(), kDeviceColumns.end(),
                                      [&](const KnownColumn& k) { return k.header == word.text; });
      if (known == kDeviceColumns.end()) {
        Fail(word.text, fmt::format("unknown column in the NPU table header; expected one of {}",
                                    KnownNames(kDeviceColumns)));
      }
      columns.push_back({known->column, std::string(word.text), word.offset});
    }
    layout.push_back(std::move(columns));
  }
  return layout;
}

RowLayout Parser::ProcessHeader(const SplitLine& split) {
  if (!split.closed) Fail("", "the header line is cut short (no closing '|')");
  RowLayout layout;
  for (std::size_t i = 0; i < split.cells.size(); ++i) {
    const std::vector<Token> words = Words(split.cells[i]);
    if (i == 0) {  // "NPU     Chip": two columns in one cell
      if (words.size() != 2)
        Fail("NPU", "the process table header must start with '| NPU  Chip |'");
      layout.push_back(
          {{Column::kNpu, "NPU", words[0].offset}, {Column::kChip, "Chip", words[1].offset}});
      continue;
    }
    std::string name;
    for (const Token& w : words) name += fmt::format("{}{}", name.empty() ? "" : " ", w.text);
    const auto known = std::find_if(kProcessColumns.begin(), kProcessColumns.end(),
                                    [&](const KnownColumn& k) { return k.header == name; });
    if (known == kProcessColumns.end()) {
      Fail(name, fmt::format("unknown column in the process table header; expected one of {}",
                             KnownNames(kProcessColumns)));
    }
    layout.push_back({{known->column, name, words.empty() ? 0 : words[0].offset}});
  }
  return layout;
}

// Places the values of one cell under its columns. A cell with one column takes its whole text
// (process names may hold spaces). Otherwise, when there are as many values as columns they go
// in order; when there are fewer (a blank field), each goes to the column whose header starts
// nearest to it, since npu-smi prints values left-aligned under their header.
void Parser::AssignCell(std::string_view cell, const CellLayout& layout, RowValues& values) {
  if (layout.empty()) return;
  if (layout.size() == 1) {
    values[static_cast<std::size_t>(layout[0].column)] = Trim(cell);
    return;
  }
  const std::vector<Token> found = Values(cell);
  if (found.size() > layout.size()) {
    Fail(layout.back().name, fmt::format("found {} values under {} columns; unexpected '{}'",
                                         found.size(), layout.size(), found[layout.size()].text));
  }
  std::vector<bool> taken(layout.size(), false);
  for (std::size_t i = 0; i < found.size(); ++i) {
    std::size_t best = i;
    if (found.size() < layout.size()) {
      for (std::size_t c = 0; c < layout.size(); ++c) {
        const auto distance = [&](std::size_t k) {
          const auto a = static_cast<std::int64_t>(layout[k].offset);
          return std::abs(a - static_cast<std::int64_t>(found[i].offset));
        };
        if (distance(c) < distance(best)) best = c;
      }
    }
    if (taken[best]) {
      Fail(layout[best].name, fmt::format("two values under one column: '{}'", found[i].text));
    }
    taken[best] = true;
    values[static_cast<std::size_t>(layout[best].column)] = found[i].text;
  }
}

RowValues Parser::ParseRow(const SplitLine& split, const RowLayout& layout) {
  RowValues values;
  if (split.closed && split.cells.size() != layout.size()) {
    Fail("", fmt::format("expected {} cells separated by '|' as in the header, found {}",
                         layout.size(), split.cells.size()));
  }
  if (split.cells.size() > layout.size()) {
    Fail("", fmt::format("the row has more cells ({}) than its header ({})", split.cells.size(),
                         layout.size()));
  }
  for (std::size_t i = 0; i < split.cells.size(); ++i)
    AssignCell(split.cells[i], layout[i], values);
  if (!split.closed) {  // cut short: name the first column left without a value
    for (std::size_t i = split.cells.size() - 1; i < layout.size(); ++i) {
      for (const HeaderColumn& h : layout[i]) {
        if (!values[static_cast<std::size_t>(h.column)]) {
          Fail(h.name, "the row is cut short (no closing '|'); expected a value for this column");
        }
      }
    }
    Fail(layout.back().back().name, "the row is cut short (no closing '|')");
  }
  return values;
}

std::int64_t Parser::Integer(std::string_view text, Column column) const {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    Fail(NameOf(column), fmt::format("expected a whole number, found '{}'", text));
  }
  return value;
}

bool NotAvailable(std::string_view text) {
  return text.empty() || text == "NA" || text == "N/A" || text == "-" || text == "--";
}

std::optional<double> Parser::Number(const RowValues& values, Column column) const {
  const auto& text = values[static_cast<std::size_t>(column)];
  if (!text || NotAvailable(*text)) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    Fail(NameOf(column), fmt::format("expected a number or NA, found '{}'", *text));
  }
  return value;
}

std::optional<NpuSmiUsage> Parser::Usage(const RowValues& values, Column column) const {
  const auto& text = values[static_cast<std::size_t>(column)];
  if (!text || NotAvailable(*text)) return std::nullopt;
  const std::size_t slash = text->find('/');
  if (slash == std::string_view::npos) {
    Fail(NameOf(column), fmt::format("expected 'used / total', found '{}'", *text));
  }
  const auto part = [&](std::string_view s) {
    s = Trim(s);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
      Fail(NameOf(column),
           fmt::format("expected 'used / total' in whole numbers, found '{}'", *text));
    }
    return value;
  };
  return NpuSmiUsage{.used = part(text->substr(0, slash)), .total = part(text->substr(slash + 1))};
}

void Parser::AddChip(const RowValues& first, const RowValues& second) {
  RowValues all = first;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (second[i]) all[i] = second[i];
  }
  NpuSmiChip chip;
  chip.line = static_cast<int>(pending_line_);
  chip.npu_id = static_cast<int>(Integer(Require(all, Column::kNpu), Column::kNpu));
  chip.chip_id = static_cast<int>(Integer(Require(all, Column::kChip), Column::kChip));
  if (const auto& phy = all[static_cast<std::size_t>(Column::kPhyId)]; phy && !NotAvailable(*phy)) {
    chip.phy_id = static_cast<int>(Integer(*phy, Column::kPhyId));
  }
  const auto text = [&](Column c) {
    const auto& v = all[static_cast<std::size_t>(c)];
    return v ? std::string(*v) : std::string();
  };
  chip.name = text(Column::kName);
  chip.health = text(Column::kHealth);
  chip.bus_id = text(Column::kBusId);
  // Numbers of the first row are reported against its line, those of the second against the
  // second; line_number_ is the second's now, so check the first row's fields under its line.
  const std::int64_t second_line = line_number_;
  line_number_ = pending_line_;
  chip.power_w = Number(first, Column::kPower);
  chip.temperature_c = Number(first, Column::kTemp);
  chip.hugepages = Usage(first, Column::kHugepages);
  line_number_ = second_line;
  chip.aicore_percent = Number(second, Column::kAiCore);
  chip.memory_mb = Usage(second, Column::kMemory);
  chip.hbm_mb = Usage(second, Column::kHbm);
  info_.chips.push_back(std::move(chip));
}

void Parser::AddProcess(const RowValues& values) {
  NpuSmiProcess process;
  process.npu_id = static_cast<int>(Integer(Require(values, Column::kNpu), Column::kNpu));
  process.chip_id = static_cast<int>(Integer(Require(values, Column::kChip), Column::kChip));
  process.pid = Integer(Require(values, Column::kPid), Column::kPid);
  if (const auto& name = values[static_cast<std::size_t>(Column::kProcessName)]) {
    process.name = std::string(*name);
  }
  process.memory_mb = Integer(Require(values, Column::kProcessMemory), Column::kProcessMemory);
  if (const auto& in = values[static_cast<std::size_t>(Column::kPidInContainer)];
      in && !NotAvailable(*in)) {
    process.pid_in_container = Integer(*in, Column::kPidInContainer);
  }
  info_.processes.push_back(std::move(process));
}

}  // namespace

NpuSmiInfo ParseNpuSmiInfo(std::string_view text, const std::string& source) {
  return Parser(text, source).Run();
}

}  // namespace infermeter::collectors
