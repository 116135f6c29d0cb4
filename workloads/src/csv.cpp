#include "csv.h"

#include <chrono>

namespace infermeter::workloads::detail {

bool SplitCsvLine(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::size_t i = 0;
  while (true) {
    std::string& field = fields->emplace_back();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      // Text between the closing quote and the next comma belongs to the field too.
      while (i < line.size() && line[i] != ',') field += line[i++];
    } else {
      const auto comma = line.find(',', i);
      const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
      field.assign(line.substr(i, end - i));
      i = end;
    }
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

std::optional<std::size_t> FindColumn(const std::vector<std::string>& header,
                                      std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

std::optional<std::int64_t> ParseNonNegativeInt(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

namespace {

// Parses up to 9 fraction digits after a '.' at text[*i] into nanoseconds.
std::optional<std::int64_t> FractionNs(std::string_view text, std::size_t* i) {
  if (*i >= text.size() || text[*i] != '.') return 0;
  ++*i;
  std::int64_t ns = 0;
  std::int64_t scale = 100'000'000;
  int digits = 0;
  while (*i < text.size() && text[*i] >= '0' && text[*i] <= '9') {
    if (++digits > 9) return std::nullopt;
    ns += (text[*i] - '0') * scale;
    scale /= 10;
    ++*i;
  }
  if (digits == 0) return std::nullopt;
  return ns;
}

std::optional<int> Digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t k = at; k < at + count; ++k) {
    if (text[k] < '0' || text[k] > '9') return std::nullopt;
    value = value * 10 + (text[k] - '0');
  }
  return value;
}

}  // namespace

std::optional<std::int64_t> ParseSecondsAsNs(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return std::nullopt;
  const auto seconds = ParseNonNegativeInt(text.substr(0, i));
  if (!seconds || *seconds > 9'000'000'000) return std::nullopt;
  const auto ns = FractionNs(text, &i);
  if (!ns || i != text.size()) return std::nullopt;
  return *seconds * 1'000'000'000 + *ns;
}

std::optional<std::int64_t> ParseDateTimeAsUnixNs(std::string_view text) {
  // 0123456789012345678
  // YYYY-MM-DD HH:MM:SS
  const auto year = Digits(text, 0, 4);
  const auto month = Digits(text, 5, 2);
  const auto day = Digits(text, 8, 2);
  const auto hour = Digits(text, 11, 2);
  const auto minute = Digits(text, 14, 2);
  const auto second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':' || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  std::size_t i = 19;
  const auto fraction = FractionNs(text, &i);
  if (!fraction) return std::nullopt;
  std::int64_t zone_seconds = 0;
  if (i < text.size()) {
    if (text[i] == 'Z' && i + 1 == text.size()) {
      ++i;
    } else if ((text[i] == '+' || text[i] == '-') && i + 6 == text.size() && text[i + 3] == ':') {
      const auto zh = Digits(text, i + 1, 2);
      const auto zm = Digits(text, i + 4, 2);
      if (!zh || !zm) return std::nullopt;
      zone_seconds = (text[i] == '+' ? 1 : -1) * (*zh * 3600 + *zm * 60);
      i = text.size();
    } else {
      return std::nullopt;
    }
  }
  const std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const std::int64_t seconds = days * 86400 + *hour * 3600 + *minute * 60 + *second - zone_seconds;
  return seconds * 1'000'000'000 + *fraction;
}

}  // namespace infermeter::workloads::detail
