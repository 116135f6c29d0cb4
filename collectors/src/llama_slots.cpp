#include "llama_slots.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/error.h"

namespace infermeter::collectors {
namespace {

[[noreturn]] void Fail(const std::string& source, const std::string& path,
                       const std::string& problem) {
  throw InputError({.source = source, .path = path}, problem);
}

std::int64_t Count(const nlohmann::json& slot, const char* key, const std::string& source,
                   std::size_t index) {
  const auto it = slot.find(key);
  const std::string path = fmt::format("$[{}].{}", index, key);
  if (it == slot.end()) Fail(source, path, "missing");
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
    Fail(source, path, fmt::format("expected a count, found {}", it->dump()));
  }
  return it->get<std::int64_t>();
}

// next_token.n_decoded: an object in older builds, an array of one object in current ones.
std::optional<std::int64_t> Decoded(const nlohmann::json& slot) {
  const auto it = slot.find("next_token");
  if (it == slot.end()) return std::nullopt;
  const nlohmann::json* next = &*it;
  if (next->is_array()) {
    if (next->empty()) return std::nullopt;
    next = &next->front();
  }
  if (!next->is_object()) return std::nullopt;
  const auto decoded = next->find("n_decoded");
  if (decoded == next->end() || !decoded->is_number_integer()) return std::nullopt;
  return decoded->get<std::int64_t>();
}

}  // namespace

LlamaSlots ParseLlamaSlots(std::string_view body, const std::string& source) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    Fail(source, "$", fmt::format("not JSON: {}", e.what()));
  }
  if (!json.is_array()) Fail(source, "$", "expected an array of slots");
  LlamaSlots out;
  std::int64_t used = 0;
  bool used_known = true;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const nlohmann::json& slot = json[i];
    if (!slot.is_object()) Fail(source, fmt::format("$[{}]", i), "expected a slot object");
    out.context_tokens += Count(slot, "n_ctx", source, i);
    const auto processing = slot.find("is_processing");
    if (processing == slot.end() || !processing->is_boolean()) {
      Fail(source, fmt::format("$[{}].is_processing", i), "expected true or false");
    }
    ++out.slots;
    if (!processing->get<bool>()) continue;
    ++out.processing;
    const auto prompt = slot.find("n_prompt_tokens");
    const std::optional<std::int64_t> decoded = Decoded(slot);
    if (prompt == slot.end() || !prompt->is_number_integer() || !decoded) {
      used_known = false;
      continue;
    }
    used += prompt->get<std::int64_t>() + std::max<std::int64_t>(*decoded, 0);
  }
  if (used_known) out.used_tokens = used;
  return out;
}

void AddLlamaSlots(const LlamaSlots& slots, ServerMetrics& metrics) {
  const auto figure = [&](double value, std::string source) {
    ServerFigure f;
    f.value = value;
    f.source = std::move(source);
    f.series = static_cast<std::size_t>(slots.slots);
    if (slots.slots > 1) {
      f.combine = "sum";
      f.varying_labels = {"id"};
    }
    return f;
  };
  if (!metrics.kv_capacity_tokens && slots.context_tokens > 0) {
    metrics.kv_capacity_tokens = figure(static_cast<double>(slots.context_tokens), "/slots n_ctx");
    if (slots.slots > 1) {
      metrics.kv_capacity_tokens->note =
          "sum of every slot's n_ctx; with --kv-unified each slot's n_ctx is the whole cache and "
          "the sum over-counts";
    }
  }
  if (!metrics.kv_used_tokens && slots.used_tokens) {
    metrics.kv_used_tokens =
        figure(static_cast<double>(*slots.used_tokens),
               "/slots n_prompt_tokens + next_token.n_decoded (processing slots)");
  } else if (!metrics.kv_used_tokens) {
    metrics.notes.emplace_back(
        "kv_used_tokens: /slots has no n_prompt_tokens for a processing slot; left out");
  }
  if (!metrics.kv_usage_ratio && metrics.kv_used_tokens && metrics.kv_capacity_tokens &&
      metrics.kv_capacity_tokens->value > 0) {
    metrics.kv_usage_ratio =
        figure(metrics.kv_used_tokens->value / metrics.kv_capacity_tokens->value,
               "kv_used_tokens / kv_capacity_tokens (/slots)");
    metrics.kv_usage_ratio->combine.clear();
    metrics.kv_usage_ratio->varying_labels.clear();
  }
  if (!metrics.running_requests) {
    metrics.running_requests =
        figure(static_cast<double>(slots.processing), "/slots is_processing");
  }
}

}  // namespace infermeter::collectors
