#include "model_command.h"

#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "db_path.h"
#include "infermeter/collectors/peaks.h"
#include "infermeter/core/error.h"
#include "infermeter/models/builtin.h"
#include "infermeter/models/config_reader.h"
#include "infermeter/models/decode_traffic.h"
#include "infermeter/models/flops.h"
#include "infermeter/models/hardware.h"
#include "infermeter/models/kv_cache.h"
#include "infermeter/models/params.h"
#include "infermeter/results/store.h"
#include "table.h"

namespace infermeter::cli {
namespace {

using models::Architecture;

struct ModelOptions {
  std::vector<std::string> names;
  std::int64_t context_tokens = 1048576;
  std::int64_t batch = 1;
  std::string kv_format;       // empty: the model's default
  std::string indexer_format;  // empty: the model's default
  std::string weight_format;   // empty: the model's default
  bool json = false;
};

// Everything `show` and `compare` report for one model at one context length.
struct Report {
  Architecture arch;
  models::ParamCounts params;
  models::CacheFormat cache;
  models::WeightFormat weights;
  models::FlopsByClass decode;
  models::FlopsByClass prefill;
  models::KvBytes kv_sequence;
  double kv_bytes_per_token = 0;
  models::DecodeTraffic traffic;
};

Report MakeReport(const std::string& name, const ModelOptions& o) {
  Report r;
  r.arch = models::ResolveArchitecture(name);
  r.params = models::CountParams(r.arch);
  r.cache = models::DefaultCacheFormat(r.arch);
  if (!o.kv_format.empty()) {
    const auto kv = models::ParseKvFormat(o.kv_format);
    if (!kv) {
      throw InputError(
          {.source = "command line", .field = "--kv-format"},
          fmt::format("unknown '{}'; expected bf16, fp8, flashmla-fp8 or v4-fp8", o.kv_format));
    }
    r.cache.kv = *kv;
  }
  if (!o.indexer_format.empty()) {
    const auto idx = models::ParseIndexerKeyFormat(o.indexer_format);
    if (!idx) {
      throw InputError({.source = "command line", .field = "--indexer-format"},
                       fmt::format("unknown '{}'; expected bf16, fp8 or fp4", o.indexer_format));
    }
    r.cache.indexer_keys = *idx;
  }
  r.weights = models::DefaultWeightFormat(r.arch);
  if (!o.weight_format.empty()) {
    const auto w = models::FindWeightFormat(o.weight_format);
    if (!w) {
      throw InputError({.source = "command line", .field = "--weight-format"},
                       fmt::format("unknown '{}'; expected bf16, fp8 or fp8-fp4", o.weight_format));
    }
    r.weights = *w;
  }
  r.decode = models::DecodeFlopsPerToken(r.arch, o.context_tokens);
  r.prefill = models::PrefillFlops(r.arch, o.context_tokens);
  r.kv_sequence = models::SequenceKvBytes(r.arch, o.context_tokens, r.cache);
  r.kv_bytes_per_token = models::KvBytesPerToken(r.arch, r.cache);
  r.traffic = models::DecodeStepTraffic(r.arch, o.context_tokens, o.batch, r.weights, r.cache);
  return r;
}

nlohmann::ordered_json ToJson(const models::FlopsByClass& f) {
  return {{"dense_gemm", f.dense_gemm_flops}, {"expert_gemm", f.expert_gemm_flops},
          {"attention", f.attention_flops},   {"indexer", f.indexer_flops},
          {"compressor", f.compressor_flops}, {"other", f.other_flops}};
}

nlohmann::ordered_json ToJson(const Report& r, const ModelOptions& o) {
  nlohmann::ordered_json layers;
  for (const auto kind :
       {models::AttentionKind::kGqa, models::AttentionKind::kMla, models::AttentionKind::kDsa,
        models::AttentionKind::kSwa, models::AttentionKind::kCsa, models::AttentionKind::kHca}) {
    if (r.arch.Uses(kind)) layers[std::string(models::ToString(kind))] = r.arch.CountLayers(kind);
  }
  nlohmann::ordered_json kv_by_kind;
  for (const auto& [kind, count] : layers.items()) {
    const auto parsed = models::ParseAttentionKind(kind);
    kv_by_kind[kind] = models::LayerKvBytesPerToken(r.arch, *parsed, r.cache);
  }
  nlohmann::ordered_json j;
  j["name"] = r.arch.name;
  j["model_type"] = r.arch.model_type;
  j["layers"] = layers;
  j["params_total"] = r.params.Total();
  j["params_active"] = r.params.Active();
  j["params_mtp"] = r.params.mtp;
  j["context_tokens"] = o.context_tokens;
  j["batch"] = o.batch;
  j["kv_format"] = models::ToString(r.cache.kv);
  j["indexer_key_format"] = models::ToString(r.cache.indexer_keys);
  j["weight_format"] = r.weights.name;
  j["decode_flops_per_token"] = r.decode.Total();
  j["decode_flops_by_class"] = ToJson(r.decode);
  j["prefill_flops"] = r.prefill.Total();
  j["prefill_flops_by_class"] = ToJson(r.prefill);
  j["kv_bytes_per_token"] = r.kv_bytes_per_token;
  j["kv_bytes_per_token_per_layer"] = kv_by_kind;
  j["kv_bytes_per_sequence"] = r.kv_sequence.Total();
  j["kv_indexer_bytes_per_sequence"] = r.kv_sequence.indexer_bytes;
  j["weight_bytes_per_decode_token"] = r.traffic.weight_bytes_per_token;
  j["kv_read_bytes_per_decode_token"] = r.traffic.kv_read_bytes / static_cast<double>(o.batch);
  return j;
}

// 1234567 -> "1.23 M": SI prefixes, three significant digits.
std::string Si(double value, const char* unit = "") {
  static constexpr const char* kPrefix[] = {"", "k", "M", "G", "T", "P", "E"};
  int i = 0;
  while (value >= 1000 && i < 6) {
    value /= 1000;
    ++i;
  }
  return fmt::format("{:.3g} {}{}", value, kPrefix[i], unit);
}

// The rows both `show` and `compare` print: label and value per model.
std::vector<std::pair<std::string, std::vector<double>>> Rows(const std::vector<Report>& rs) {
  std::vector<std::pair<std::string, std::vector<double>>> rows;
  const auto add = [&](std::string label, auto get) {
    std::vector<double> values;
    for (const auto& r : rs) values.push_back(get(r));
    rows.emplace_back(std::move(label), std::move(values));
  };
  add("params total", [](const Report& r) { return static_cast<double>(r.params.Total()); });
  add("params active", [](const Report& r) { return static_cast<double>(r.params.Active()); });
  add("decode FLOPs/token", [](const Report& r) { return r.decode.Total(); });
  add("  dense_gemm", [](const Report& r) { return r.decode.dense_gemm_flops; });
  add("  expert_gemm", [](const Report& r) { return r.decode.expert_gemm_flops; });
  add("  attention", [](const Report& r) { return r.decode.attention_flops; });
  add("  indexer", [](const Report& r) { return r.decode.indexer_flops; });
  add("  compressor", [](const Report& r) { return r.decode.compressor_flops; });
  add("  other", [](const Report& r) { return r.decode.other_flops; });
  add("prefill FLOPs (whole prompt)", [](const Report& r) { return r.prefill.Total(); });
  add("KV bytes/token", [](const Report& r) { return r.kv_bytes_per_token; });
  add("KV bytes/sequence",
      [](const Report& r) { return static_cast<double>(r.kv_sequence.Total()); });
  add("weight bytes/decode token",
      [](const Report& r) { return r.traffic.weight_bytes_per_token; });
  add("KV bytes read/decode step", [](const Report& r) { return r.traffic.kv_read_bytes; });
  return rows;
}

std::string FormatsText(const Report& r) {
  return fmt::format("{} KV, {} indexer keys, {} weights", models::ToString(r.cache.kv),
                     models::ToString(r.cache.indexer_keys), r.weights.name);
}

int Show(const ModelOptions& o) {
  const Report r = MakeReport(o.names.at(0), o);
  if (o.json) {
    std::cout << ToJson(r, o).dump(2) << '\n';
    return 0;
  }
  std::cout << fmt::format("{} ({}): {} layers, context {} tokens, batch {}; {}\n", r.arch.name,
                           r.arch.model_type, r.arch.layers.size(), o.context_tokens, o.batch,
                           FormatsText(r));
  TextTable table;
  table.AddColumn("QUANTITY");
  table.AddColumn("VALUE", TextTable::Align::kRight);
  for (const auto& [label, values] : Rows({r})) table.AddRow({label, Si(values[0])});
  table.Print(std::cout);
  return 0;
}

int Compare(const ModelOptions& o) {
  const Report a = MakeReport(o.names.at(0), o);
  const Report b = MakeReport(o.names.at(1), o);
  const double flops_ratio = b.decode.Total() / a.decode.Total();
  const double kv_ratio =
      static_cast<double>(b.kv_sequence.Total()) / static_cast<double>(a.kv_sequence.Total());
  if (o.json) {
    nlohmann::ordered_json j;
    j["context_tokens"] = o.context_tokens;
    j["a"] = ToJson(a, o);
    j["b"] = ToJson(b, o);
    j["flops_ratio"] = flops_ratio;
    j["kv_ratio"] = kv_ratio;
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::cout << fmt::format("context {} tokens, batch {}\n  A = {}: {}\n  B = {}: {}\n",
                           o.context_tokens, o.batch, a.arch.name, FormatsText(a), b.arch.name,
                           FormatsText(b));
  TextTable table;
  table.AddColumn("QUANTITY");
  table.AddColumn("A", TextTable::Align::kRight);
  table.AddColumn("B", TextTable::Align::kRight);
  table.AddColumn("B/A", TextTable::Align::kRight);
  for (const auto& [label, values] : Rows({a, b})) {
    const std::string ratio =
        values[0] > 0 ? fmt::format("{:.1f}%", 100 * values[1] / values[0]) : std::string("-");
    table.AddRow({label, Si(values[0]), Si(values[1]), ratio});
  }
  table.Print(std::cout);
  std::cout << fmt::format(
      "flops_ratio {:.4f}, kv_ratio {:.4f} (B/A, decode at the context "
      "above; docs/COST_MODEL.md)\n",
      flops_ratio, kv_ratio);
  return 0;
}

int List(bool json) {
  if (json) {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const auto& info : models::Builtins()) {
      all.push_back({{"name", info.name},
                     {"aliases", info.aliases},
                     {"preset", info.preset},
                     {"description", info.description}});
    }
    std::cout << all.dump(2) << '\n';
    return 0;
  }
  TextTable table;
  table.AddColumn("NAME");
  table.AddColumn("ALIASES");
  table.AddColumn("DESCRIPTION");
  for (const auto& info : models::Builtins()) {
    std::string aliases;
    for (const auto& alias : info.aliases) aliases += (aliases.empty() ? "" : ",") + alias;
    table.AddRow({info.name, aliases, info.description});
  }
  table.Print(std::cout);
  return 0;
}

std::string OptionalText(const std::optional<double>& value, double scale) {
  return value ? fmt::format("{:g}", *value / scale) : std::string("-");
}

// The catalog plus this host as `infermeter probe` measured it, when `db_path` holds a probe.
models::HardwareCatalog CatalogWithHost(const std::string& db_path, std::string* host_note) {
  models::HardwareCatalog catalog;
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) {
    *host_note = fmt::format(
        "host: no results database '{}'; run `infermeter probe` to add this "
        "machine's measured peaks",
        db_path);
    return catalog;
  }
  auto store = results::ResultsStore::OpenForReading(db_path);
  if (auto host = collectors::MeasuredHostSpec(store.LoadHardwarePeaks())) {
    catalog.Add(std::move(*host));
  } else {
    *host_note =
        fmt::format("host: no full probe of this machine in '{}'; run `infermeter probe`", db_path);
  }
  return catalog;
}

int Hardware(bool json, const std::string& db_path) {
  std::string host_note;
  const models::HardwareCatalog catalog = CatalogWithHost(db_path, &host_note);
  if (json) {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    const auto opt = [](const std::optional<double>& v) {
      return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
    };
    for (const auto& s : catalog.specs()) {
      all.push_back({{"name", s.name},
                     {"description", s.description},
                     {"bf16_dense_flops_per_s", opt(s.bf16_flops_per_s)},
                     {"fp8_dense_flops_per_s", opt(s.fp8_flops_per_s)},
                     {"fp4_dense_flops_per_s", opt(s.fp4_flops_per_s)},
                     {"memory_bytes", s.memory_bytes},
                     {"memory_bandwidth_bytes_per_s", s.memory_bandwidth_bytes_per_s},
                     {"origin", models::ToString(s.origin)},
                     {"confidence", models::ToString(s.confidence)},
                     {"source", s.source},
                     {"confidence_note", s.confidence_note}});
    }
    std::cout << all.dump(2) << '\n';
    return 0;
  }
  TextTable table;
  using Align = TextTable::Align;
  table.AddColumn("NAME");
  table.AddColumn("BF16 TFLOP/s", Align::kRight);
  table.AddColumn("FP8 TFLOP/s", Align::kRight);
  table.AddColumn("FP4 TFLOP/s", Align::kRight);
  table.AddColumn("MEMORY GB", Align::kRight);
  table.AddColumn("TB/s", Align::kRight);
  table.AddColumn("CONFIDENCE");
  for (const auto& s : catalog.specs()) {
    table.AddRow({s.name, OptionalText(s.bf16_flops_per_s, 1e12),
                  OptionalText(s.fp8_flops_per_s, 1e12), OptionalText(s.fp4_flops_per_s, 1e12),
                  fmt::format("{:g}", s.memory_bytes / 1e9),
                  fmt::format("{:g}", s.memory_bandwidth_bytes_per_s / 1e12),
                  std::string(models::ToString(s.confidence))});
  }
  table.Print(std::cout);
  std::cout << "Dense (no 2:4 sparsity) peaks per device; sources: infermeter model hardware "
               "--json, docs/COST_MODEL.md.\n";
  if (!host_note.empty()) std::cout << host_note << '\n';
  return 0;
}

void AddCostOptions(CLI::App& command, ModelOptions& o) {
  command.add_option("--context", o.context_tokens, "Context length L in tokens")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--batch", o.batch, "Sequences per decode step")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command.add_option("--kv-format", o.kv_format,
                     "bf16, fp8, flashmla-fp8 or v4-fp8 (default: the model's usual one)");
  command.add_option("--indexer-format", o.indexer_format, "bf16, fp8 or fp4 indexer keys");
  command.add_option("--weight-format", o.weight_format, "bf16, fp8 or fp8-fp4");
  command.add_flag("--json", o.json, "Print JSON");
}

}  // namespace

void AddModelCommand(CLI::App& app, CommandAction* action) {
  CLI::App* model = app.add_subcommand(
      "model", "Analytic cost model: parameters, FLOPs and KV-cache bytes of an architecture");
  model->require_subcommand(1);

  auto list_json = std::make_shared<bool>(false);
  CLI::App* list = model->add_subcommand("list", "Built-in architectures and presets");
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback([list_json, action] { *action = [list_json] { return List(*list_json); }; });

  auto show_options = std::make_shared<ModelOptions>();
  show_options->names.resize(1);
  CLI::App* show = model->add_subcommand("show", "Cost of one architecture at context L");
  show->add_option("model", show_options->names[0], "Built-in name or config.json path")
      ->required();
  AddCostOptions(*show, *show_options);
  show->callback(
      [show_options, action] { *action = [show_options] { return Show(*show_options); }; });

  auto compare_options = std::make_shared<ModelOptions>();
  compare_options->names.resize(2);
  CLI::App* compare = model->add_subcommand("compare", "Cost of B relative to A at context L");
  compare->add_option("a", compare_options->names[0], "Baseline: name or config.json")->required();
  compare->add_option("b", compare_options->names[1], "Compared: name or config.json")->required();
  AddCostOptions(*compare, *compare_options);
  compare->callback([compare_options, action] {
    *action = [compare_options] { return Compare(*compare_options); };
  });

  auto hardware_json = std::make_shared<bool>(false);
  auto hardware_db = std::make_shared<std::string>();
  CLI::App* hardware = model->add_subcommand(
      "hardware",
      "Accelerator peak figures with sources, and this host as `infermeter probe` "
      "measured it");
  hardware->add_flag("--json", *hardware_json, "Print JSON");
  AddDbOption(*hardware, hardware_db.get());
  hardware->callback([hardware_json, hardware_db, action] {
    *action = [hardware_json, hardware_db] { return Hardware(*hardware_json, *hardware_db); };
  });
}

}  // namespace infermeter::cli
