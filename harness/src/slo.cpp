// `--slo ttft=500,tpot=30,e2e=20000`: the SLOs goodput is judged against.

#include "infermeter/harness/metrics.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string_view>

#include "infermeter/core/error.h"

namespace infermeter::harness {
namespace {

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

[[noreturn]] void Fail(const std::string& option, const std::string& problem) {
  throw InputError({.source = "command line", .field = option}, problem);
}

std::optional<double>* FieldFor(SloSettings& slo, std::string_view key) {
  if (key == "ttft") return &slo.ttft_ms;
  if (key == "tpot") return &slo.tpot_ms;
  if (key == "itl") return &slo.itl_ms;
  if (key == "e2e") return &slo.e2e_ms;
  return nullptr;
}

// A whole, finite, positive number; nullopt for anything else ("30ms", "inf", "-5", "").
std::optional<double> ParseMilliseconds(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

void ParseItem(SloSettings& slo, std::string_view item, const std::string& option) {
  const auto equals = item.find('=');
  if (equals == std::string_view::npos) {
    Fail(option, fmt::format("item '{}' is not key=value (expected e.g. ttft=500)", item));
  }
  const std::string_view key = Trim(item.substr(0, equals));
  const std::string_view text = Trim(item.substr(equals + 1));
  std::optional<double>* field = FieldFor(slo, key);
  if (field == nullptr) {
    Fail(option,
         fmt::format("unknown SLO '{}' in '{}' (expected ttft, tpot, itl or e2e)", key, item));
  }
  if (field->has_value()) Fail(option, fmt::format("SLO '{}' is given twice ('{}')", key, item));
  const std::optional<double> value = ParseMilliseconds(text);
  if (!value) {
    Fail(option,
         fmt::format("in '{}': '{}' is not a number (milliseconds, without a unit)", item, text));
  }
  if (*value <= 0) Fail(option, fmt::format("in '{}': the SLO must be greater than 0 ms", item));
  *field = *value;
}

}  // namespace

SloSettings ParseSlo(const std::string& text, const std::string& option) {
  SloSettings slo;
  std::string_view rest = text;
  if (Trim(rest).empty()) Fail(option, "no SLO given (expected e.g. ttft=500,tpot=30)");
  while (true) {
    const auto comma = rest.find(',');
    ParseItem(slo, Trim(rest.substr(0, comma)), option);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return slo;
}

}  // namespace infermeter::harness
