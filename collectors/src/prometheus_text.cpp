#include "infermeter/collectors/prometheus_text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

// ---------------------------------------------------------------------------------------------
// Characters and tokens.

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsMetricNameStart(char c) { return IsAlpha(c) || c == '_' || c == ':'; }
bool IsMetricNameChar(char c) { return IsMetricNameStart(c) || IsDigit(c); }
bool IsLabelNameStart(char c) { return IsAlpha(c) || c == '_'; }
bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || IsDigit(c); }

bool IsMetricName(std::string_view name) {
  if (name.empty() || !IsMetricNameStart(name.front())) return false;
  return std::all_of(name.begin(), name.end(), IsMetricNameChar);
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

// A number as Prometheus writes one: a decimal or exponent float, with an optional sign, or
// NaN / Inf / +Inf / -Inf (any case, as Go's ParseFloat reads them).
std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  if (text.front() == '+' || text.front() == '-') {
    negative = text.front() == '-';
    text.remove_prefix(1);
    if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  }
  if (EqualsNoCase(text, "inf") || EqualsNoCase(text, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (EqualsNoCase(text, "nan")) return std::numeric_limits<double>::quiet_NaN();
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  // from_chars also reads "inf" and "nan" in other spellings; those were handled above.
  if (ec != std::errc() || ptr != end || std::isnan(value)) return std::nullopt;
  return negative ? -value : value;
}

// Printable excerpt of what was found where something else was expected.
std::string Found(std::string_view rest) {
  if (rest.empty()) return "end of line";
  constexpr std::size_t kMax = 24;
  std::string shown(rest.substr(0, kMax));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return fmt::format("'{}{}'", shown, rest.size() > kMax ? "..." : "");
}

// Undoes the escapes of `# HELP` text: "\\" and "\n"; anything else stays as written.
std::string UnescapeHelp(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '\\' || text[i + 1] == 'n')) {
      out += text[i + 1] == 'n' ? '\n' : '\\';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Types and the sample names a typed family may have.

struct TypeName {
  std::string_view text;
  PromMetricType type;
};
constexpr std::array kTypeNames{TypeName{"counter", PromMetricType::kCounter},
                                TypeName{"gauge", PromMetricType::kGauge},
                                TypeName{"histogram", PromMetricType::kHistogram},
                                TypeName{"summary", PromMetricType::kSummary},
                                TypeName{"untyped", PromMetricType::kUntyped},
                                TypeName{"unknown", PromMetricType::kUntyped},
                                TypeName{"gaugehistogram", PromMetricType::kGaugeHistogram},
                                TypeName{"info", PromMetricType::kInfo},
                                TypeName{"stateset", PromMetricType::kStateSet}};

// Suffixes a sample name may add to its family's name. A name can end in two of them ("x_gsum"
// also ends in "_sum"): each is tried, and the first whose base is a family admitting it wins.
constexpr std::array<std::string_view, 8> kSuffixes{"_bucket", "_count",  "_sum",  "_created",
                                                    "_total",  "_gcount", "_gsum", "_info"};

// Whether a sample named exactly like a family of `type` belongs to it.
bool AdmitsBareName(PromMetricType type) {
  switch (type) {
    case PromMetricType::kCounter:  // 0.0.4 names the counter family "x_total" itself
    case PromMetricType::kGauge:
    case PromMetricType::kSummary:  // the quantile samples
    case PromMetricType::kUntyped:
    case PromMetricType::kStateSet:
      return true;
    case PromMetricType::kHistogram:
    case PromMetricType::kGaugeHistogram:
    case PromMetricType::kInfo:
      return false;
  }
  return false;
}

bool AdmitsSuffix(PromMetricType type, std::string_view suffix) {
  switch (type) {
    case PromMetricType::kCounter:
      return suffix == "_total" || suffix == "_created";
    case PromMetricType::kHistogram:
      return suffix == "_bucket" || suffix == "_sum" || suffix == "_count" || suffix == "_created";
    case PromMetricType::kSummary:
      return suffix == "_sum" || suffix == "_count" || suffix == "_created";
    case PromMetricType::kGaugeHistogram:
      return suffix == "_bucket" || suffix == "_gsum" || suffix == "_gcount";
    case PromMetricType::kInfo:
      return suffix == "_info";
    case PromMetricType::kGauge:
    case PromMetricType::kUntyped:
    case PromMetricType::kStateSet:
      return false;
  }
  return false;
}

std::string AdmittedNames(const PromFamily& family) {
  std::string names;
  if (AdmitsBareName(family.type)) names = "'" + family.name + "'";
  for (std::string_view suffix : kSuffixes) {
    if (!AdmitsSuffix(family.type, suffix)) continue;
    names += fmt::format("{}'{}{}'", names.empty() ? "" : ", ", family.name, suffix);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// The parser: one pass over the lines of the body.

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

struct FamilyState {
  std::int64_t type_line = 0;  // where `# TYPE` named it, 0 if none
  std::int64_t help_line = 0;
  std::int64_t unit_line = 0;
};

class Parser {
 public:
  Parser(std::string_view body, const std::string& source, const PromParseLimits& limits)
      : body_(body), limits_(limits) {
    scrape_.source = source;
  }

  PromScrape Run() {
    if (body_.size() > limits_.max_body_bytes) {
      throw InputError({.source = scrape_.source},
                       fmt::format("a body of {} bytes is over the limit of {} bytes", body_.size(),
                                   limits_.max_body_bytes));
    }
    std::size_t pos = 0;
    while (pos < body_.size()) {
      std::size_t end = body_.find('\n', pos);
      if (end == std::string_view::npos) end = body_.size();
      std::string_view line = body_.substr(pos, end - pos);
      pos = end + 1;
      ++line_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
      if (line.empty()) continue;
      if (eof_line_ != 0) {
        Fail(fmt::format("expected nothing after '# EOF' (line {}), found {}", eof_line_,
                         Found(line)));
      }
      if (line.front() == '#') {
        ParseComment(line.substr(1));
      } else {
        ParseSample(line);
      }
    }
    return std::move(scrape_);
  }

 private:
  [[noreturn]] void Fail(const std::string& problem) const {
    throw InputError({.source = scrape_.source, .line = line_}, problem);
  }

  // -- comments: # HELP, # TYPE, # UNIT, # EOF, anything else is ignored ----------------------

  void ParseComment(std::string_view rest) {
    while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    std::size_t word_end = 0;
    while (word_end < rest.size() && !IsBlank(rest[word_end])) ++word_end;
    const std::string_view word = rest.substr(0, word_end);
    rest.remove_prefix(word_end);
    if (word == "EOF") {
      while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
      if (rest.empty()) {
        eof_line_ = line_;
        scrape_.openmetrics = true;
      }
      return;  // "# EOF and more" is a comment
    }
    if (word != "HELP" && word != "TYPE" && word != "UNIT") return;  // a comment

    while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    std::size_t name_end = 0;
    while (name_end < rest.size() && !IsBlank(rest[name_end])) ++name_end;
    const std::string_view name = rest.substr(0, name_end);
    if (!IsMetricName(name)) {
      Fail(fmt::format("expected a metric name after '# {}', found {}", word, Found(rest)));
    }
    rest.remove_prefix(name_end);
    while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);

    const std::size_t index = DeclaredFamily(name);
    PromFamily& family = scrape_.families[index];
    FamilyState& state = states_[index];
    if (word == "HELP") {
      if (state.help_line != 0) {
        Fail(fmt::format("a second '# HELP' line for '{}' (the first is on line {})", name,
                         state.help_line));
      }
      state.help_line = line_;
      family.help = UnescapeHelp(rest);
    } else if (word == "UNIT") {
      if (state.unit_line != 0) {
        Fail(fmt::format("a second '# UNIT' line for '{}' (the first is on line {})", name,
                         state.unit_line));
      }
      state.unit_line = line_;
      family.unit = std::string(rest);
      scrape_.openmetrics = true;
    } else {
      ParseType(index, rest);
    }
  }

  void ParseType(std::size_t index, std::string_view rest) {
    PromFamily& family = scrape_.families[index];
    FamilyState& state = states_[index];
    std::size_t type_end = 0;
    while (type_end < rest.size() && !IsBlank(rest[type_end])) ++type_end;
    const std::string_view type_text = rest.substr(0, type_end);
    std::string_view after = rest.substr(type_end);
    while (!after.empty() && IsBlank(after.front())) after.remove_prefix(1);
    const auto known = std::find_if(kTypeNames.begin(), kTypeNames.end(),
                                    [&](const TypeName& t) { return t.text == type_text; });
    if (type_text.empty() || known == kTypeNames.end()) {
      Fail(fmt::format(
          "expected a metric type after '# TYPE {}' (counter, gauge, histogram, summary, "
          "untyped, unknown, gaugehistogram, info or stateset), found {}",
          family.name, Found(rest)));
    }
    if (!after.empty()) {
      Fail(fmt::format("expected end of line after '# TYPE {} {}', found {}", family.name,
                       type_text, Found(after)));
    }
    if (state.type_line != 0) {
      Fail(fmt::format("a second '# TYPE' line for '{}' (the first is on line {})", family.name,
                       state.type_line));
    }
    if (!family.samples.empty()) {
      Fail(fmt::format("expected '# TYPE {}' before the first sample of '{}' (line {})",
                       family.name, family.name, family.samples.front().line));
    }
    // Samples such as "x_bucket" seen before "# TYPE x histogram" went to families of their own.
    for (std::string_view suffix : kSuffixes) {
      if (!AdmitsSuffix(known->type, suffix)) continue;
      const auto other = index_.find(family.name + std::string(suffix));
      if (other != index_.end() && !scrape_.families[other->second].samples.empty() &&
          !scrape_.families[other->second].typed) {
        Fail(fmt::format("expected '# TYPE {}' before the first sample of '{}{}' (line {})",
                         family.name, family.name, suffix,
                         scrape_.families[other->second].samples.front().line));
      }
    }
    state.type_line = line_;
    last_family_ = kNoFamily;
    family.type = known->type;
    family.typed = true;
  }

  // The family `# HELP`/`# TYPE`/`# UNIT` names, created when new.
  std::size_t DeclaredFamily(std::string_view name) {
    const auto it = index_.find(name);
    if (it != index_.end()) return it->second;
    return NewFamily(name);
  }

  std::size_t NewFamily(std::string_view name) {
    last_family_ = kNoFamily;  // a new family may claim names the cache answered for
    const std::size_t index = scrape_.families.size();
    scrape_.families.push_back(PromFamily{.name = std::string(name)});
    states_.push_back({});
    index_.emplace(std::string(name), index);
    return index;
  }

  // -- samples ---------------------------------------------------------------------------------

  void ParseSample(std::string_view text) {
    std::size_t pos = 0;
    if (!IsMetricNameStart(text[0])) {
      Fail(fmt::format("expected a metric name or '#', found {}", Found(text)));
    }
    while (pos < text.size() && IsMetricNameChar(text[pos])) ++pos;
    PromSample sample;
    sample.name = std::string(text.substr(0, pos));
    sample.line = line_;
    if (pos < text.size() && text[pos] != '{' && !IsBlank(text[pos])) {
      Fail(fmt::format("expected '{{' or a space after metric name '{}', found {}", sample.name,
                       Found(text.substr(pos))));
    }
    SkipBlanks(text, pos);  // Prometheus reads "name {labels}" too
    if (pos < text.size() && text[pos] == '{') {
      // One allocation for the labels: about as many as '=' signs on the line.
      sample.labels.reserve(std::min<std::size_t>(
          std::count(text.begin() + static_cast<std::ptrdiff_t>(pos), text.end(), '='),
          limits_.max_labels_per_sample));
      ParseLabels(text, ++pos, sample);
      SkipBlanks(text, pos);
    }

    const std::string_view value_text = Token(text, pos);
    if (value_text.empty()) {
      Fail(fmt::format("expected a value after '{}{}', found end of line", sample.name,
                       sample.labels.empty() ? "" : "{...}"));
    }
    const std::optional<double> value = ParseNumber(value_text);
    if (!value) {
      Fail(fmt::format("expected a number (or NaN, +Inf, -Inf) as the value of '{}', found {}",
                       sample.name, Found(value_text)));
    }
    sample.value = *value;
    SkipBlanks(text, pos);
    if (pos < text.size() && text[pos] != '#') {
      const std::string_view stamp_text = Token(text, pos);
      const std::optional<double> stamp = ParseNumber(stamp_text);
      if (!stamp || !std::isfinite(*stamp)) {
        Fail(fmt::format("expected a timestamp or end of line after the value of '{}', found {}",
                         sample.name, Found(stamp_text)));
      }
      sample.timestamp = *stamp;
      SkipBlanks(text, pos);
    }
    // OpenMetrics exemplar ("# {trace_id=\"...\"} 0.5"): read past, not kept.
    if (pos < text.size() && text[pos] != '#') {
      Fail(fmt::format("expected end of line after the {} of '{}', found {}",
                       sample.timestamp ? "timestamp" : "value", sample.name,
                       Found(text.substr(pos))));
    }
    AddSample(std::move(sample));
  }

  static void SkipBlanks(std::string_view text, std::size_t& pos) {
    while (pos < text.size() && IsBlank(text[pos])) ++pos;
  }

  static std::string_view Token(std::string_view text, std::size_t& pos) {
    const std::size_t start = pos;
    while (pos < text.size() && !IsBlank(text[pos])) ++pos;
    return text.substr(start, pos - start);
  }

  // Reads `name="value",...}` from just after '{'; leaves `pos` after '}'.
  void ParseLabels(std::string_view text, std::size_t& pos, PromSample& sample) {
    while (true) {
      SkipBlanks(text, pos);
      if (pos < text.size() && text[pos] == '}') {
        ++pos;
        break;
      }
      const std::size_t name_start = pos;
      if (pos < text.size() && IsLabelNameStart(text[pos])) {
        while (pos < text.size() && IsLabelNameChar(text[pos])) ++pos;
      }
      if (pos == name_start) {
        Fail(fmt::format("expected a label name or '}}' in the labels of '{}', found {}",
                         sample.name, Found(text.substr(pos))));
      }
      std::string name(text.substr(name_start, pos - name_start));
      SkipBlanks(text, pos);
      if (pos >= text.size() || text[pos] != '=') {
        Fail(fmt::format("expected '=' after label name '{}', found {}", name,
                         Found(text.substr(pos))));
      }
      ++pos;
      SkipBlanks(text, pos);
      if (pos >= text.size() || text[pos] != '"') {
        Fail(fmt::format("expected '\"' to open the value of label '{}', found {}", name,
                         Found(text.substr(pos))));
      }
      ++pos;
      std::string value;
      bool closed = false;
      while (pos < text.size()) {
        const std::size_t run = pos;  // copy the plain stretch up to a quote or backslash at once
        while (pos < text.size() && text[pos] != '"' && text[pos] != '\\') ++pos;
        value.append(text.data() + run, pos - run);
        if (pos < text.size() && text[pos] == '"') {
          ++pos;
          closed = true;
        } else if (pos + 1 < text.size()) {  // a backslash and the character it escapes
          const char next = text[pos + 1];
          pos += 2;
          if (next == 'n') {
            value += '\n';
          } else if (next == '\\' || next == '"') {
            value += next;
          } else {  // unknown escape: kept as written
            value += '\\';
            value += next;
          }
        } else if (pos < text.size()) {  // a backslash ending the line
          value += text[pos++];
        }
        if (value.size() > limits_.max_label_value_bytes) {
          Fail(fmt::format("the value of label '{}' of '{}' is over the limit of {} bytes", name,
                           sample.name, limits_.max_label_value_bytes));
        }
        if (closed) break;
      }
      if (!closed) {
        Fail(fmt::format("expected a closing '\"' for the value of label '{}', found end of line",
                         name));
      }
      if (sample.labels.size() == limits_.max_labels_per_sample) {
        Fail(fmt::format("a sample of '{}' has more than {} labels", sample.name,
                         limits_.max_labels_per_sample));
      }
      sample.labels.emplace_back(std::move(name), std::move(value));
      SkipBlanks(text, pos);
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == '}') {
        ++pos;
        break;
      }
      Fail(fmt::format("expected ',' or '}}' after the value of label '{}', found {}",
                       sample.labels.back().first, Found(text.substr(pos))));
    }
    std::sort(sample.labels.begin(), sample.labels.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < sample.labels.size(); ++i) {
      if (sample.labels[i].first == sample.labels[i - 1].first) {
        Fail(fmt::format("label '{}' appears twice in a sample of '{}'", sample.labels[i].first,
                         sample.name));
      }
    }
  }

  // The family a sample belongs to (created as untyped when no family claims it). Samples of
  // one name usually come in a row (a histogram's buckets), so the last answer is kept.
  std::size_t FamilyFor(const std::string& name) {
    if (last_family_ != kNoFamily && name == last_name_) return last_family_;
    const std::size_t index = LookUpFamily(name);
    last_name_ = name;
    last_family_ = index;
    return index;
  }

  std::size_t LookUpFamily(const std::string& name) {
    if (const auto it = index_.find(name); it != index_.end()) {
      const PromFamily& family = scrape_.families[it->second];
      if (!AdmitsBareName(family.type)) {
        Fail(fmt::format("{} '{}' cannot have a sample named '{}' (expected {})",
                         ToString(family.type), family.name, name, AdmittedNames(family)));
      }
      return it->second;
    }
    const std::string_view view(name);
    for (std::string_view suffix : kSuffixes) {
      if (view.size() <= suffix.size() || !view.ends_with(suffix)) continue;
      const auto it = index_.find(view.substr(0, view.size() - suffix.size()));
      if (it != index_.end() && AdmitsSuffix(scrape_.families[it->second].type, suffix)) {
        return it->second;
      }
    }
    return NewFamily(name);
  }

  void AddSample(PromSample sample) {
    if (++sample_count_ > limits_.max_samples) {
      Fail(fmt::format("more than {} samples", limits_.max_samples));
    }
    const std::size_t index = FamilyFor(sample.name);
    PromFamily& family = scrape_.families[index];
    const bool bucket = sample.name.size() > family.name.size() &&
                        std::string_view(sample.name).ends_with("_bucket");
    if ((family.type == PromMetricType::kHistogram ||
         family.type == PromMetricType::kGaugeHistogram) &&
        bucket) {
      const auto le = sample.Label("le");
      if (!le) Fail(fmt::format("expected label 'le' on histogram bucket '{}'", sample.name));
      if (!ParseNumber(*le)) {
        Fail(fmt::format("expected a number as label 'le' of '{}', found {}", sample.name,
                         Found(*le)));
      }
    }
    if (family.type == PromMetricType::kSummary && sample.name == family.name) {
      const auto quantile = sample.Label("quantile");
      if (!quantile) {
        Fail(fmt::format("expected label 'quantile' on summary sample '{}'", sample.name));
      }
      if (!ParseNumber(*quantile)) {
        Fail(fmt::format("expected a number as label 'quantile' of '{}', found {}", sample.name,
                         Found(*quantile)));
      }
    }
    // The same series twice: found by a hash of name and labels, confirmed by comparing them.
    const std::uint64_t hash = SeriesHash(sample);
    const auto [first, last] = series_.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      const PromSample& seen = scrape_.families[it->second.family].samples[it->second.sample];
      if (seen.name == sample.name && seen.labels == sample.labels) {
        Fail(fmt::format("series '{}' appears twice (first on line {})", SeriesText(sample),
                         seen.line));
      }
    }
    series_.emplace(hash, SeriesRef{index, family.samples.size()});
    family.samples.push_back(std::move(sample));
  }

  static std::uint64_t SeriesHash(const PromSample& sample) {
    const std::hash<std::string_view> hash;
    std::uint64_t h = hash(sample.name);
    for (const auto& [name, value] : sample.labels) {
      h = (h ^ hash(name)) * 0x9E3779B97F4A7C15ull;
      h = (h ^ hash(value)) * 0xC2B2AE3D27D4EB4Full;
    }
    return h;
  }

  static std::string SeriesText(const PromSample& sample) {
    std::string text = sample.name;
    if (sample.labels.empty()) return text;
    text += '{';
    for (std::size_t i = 0; i < sample.labels.size(); ++i) {
      text += fmt::format("{}{}=\"{}\"", i == 0 ? "" : ",", sample.labels[i].first,
                          sample.labels[i].second);
    }
    return text + '}';
  }

  std::string_view body_;
  const PromParseLimits& limits_;
  PromScrape scrape_;
  std::vector<FamilyState> states_;  // parallel to scrape_.families
  std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> index_;
  struct SeriesRef {
    std::size_t family;
    std::size_t sample;
  };
  std::unordered_multimap<std::uint64_t, SeriesRef> series_;
  static constexpr std::size_t kNoFamily = static_cast<std::size_t>(-1);
  std::string last_name_;
  std::size_t last_family_ = kNoFamily;
  std::size_t sample_count_ = 0;
  std::int64_t line_ = 0;
  std::int64_t eof_line_ = 0;
};

}  // namespace

std::string_view ToString(PromMetricType type) {
  switch (type) {
    case PromMetricType::kCounter:
      return "counter";
    case PromMetricType::kGauge:
      return "gauge";
    case PromMetricType::kHistogram:
      return "histogram";
    case PromMetricType::kSummary:
      return "summary";
    case PromMetricType::kUntyped:
      return "untyped";
    case PromMetricType::kGaugeHistogram:
      return "gaugehistogram";
    case PromMetricType::kInfo:
      return "info";
    case PromMetricType::kStateSet:
      return "stateset";
  }
  return "untyped";
}

std::optional<std::string_view> PromSample::Label(std::string_view label_name) const {
  const auto it =
      std::lower_bound(labels.begin(), labels.end(), label_name,
                       [](const auto& label, std::string_view key) { return label.first < key; });
  if (it == labels.end() || it->first != label_name) return std::nullopt;
  return std::string_view(it->second);
}

const PromFamily* PromScrape::Find(std::string_view name) const {
  for (const PromFamily& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

std::size_t PromScrape::SampleCount() const {
  std::size_t count = 0;
  for (const PromFamily& family : families) count += family.samples.size();
  return count;
}

PromScrape ParsePrometheusText(std::string_view body, const std::string& source,
                               const PromParseLimits& limits) {
  return Parser(body, source, limits).Run();
}

}  // namespace infermeter::collectors
