#include "infermeter/engines/reference_engine.h"

#include <omp.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <variant>

#include <fmt/format.h>

#include "byte_tokenizer.h"
#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "infermeter/models/config_reader.h"
#include "kv/kv_cache.h"
#include "model/model.h"
#include "model/weights.h"
#include "sampler.h"
#include "scheduler.h"
#include "sequence.h"

namespace infermeter::engines {
namespace {

using reference::KvCache;
using reference::KvLayout;
using reference::Model;
using reference::Scheduler;
using reference::Sequence;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// MemAvailable from /proc/meminfo in bytes, or 0 when it cannot be read.
std::int64_t AvailableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

void CheckWeightsFit(const models::Architecture& arch, const ReferenceEngineOptions& options) {
  const std::int64_t needed = WeightBytes(arch);
  std::int64_t limit = options.max_weight_bytes;
  std::string limit_source = "max_weight_bytes";
  if (limit <= 0) {
    limit = AvailableMemoryBytes() / 10 * 8;
    limit_source = "80% of this machine's available memory";
  }
  if (limit > 0 && needed + options.kv_cache_bytes > limit) {
    throw InputError(
        {.source = options.model, .field = "model"},
        fmt::format("the weights of {} need {:.2f} GiB in BF16 and the KV cache {:.2f} GiB, "
                    "more than the {:.2f} GiB allowed ({}); pick a smaller model or preset",
                    arch.name, needed / kGiB, options.kv_cache_bytes / kGiB, limit / kGiB,
                    limit_source));
  }
}

// A request waiting for the step thread to pick it up.
struct Submission {
  EngineRequest request;
  std::shared_ptr<ResponseSink> sink;
  std::int64_t submitted_ns = 0;
};

// A request's OnFinish or OnError, held until the step's stats are published.
struct Ending {
  std::shared_ptr<ResponseSink> sink;
  std::variant<EngineFinish, EngineFailure> what;
};

class ReferenceEngine final : public Engine {
 public:
  ReferenceEngine(const ReferenceEngineOptions& options, models::Architecture arch)
      : options_(options),
        arch_(std::move(arch)),
        format_(ResolveCacheFormat(arch_, options)),
        layout_(reference::MakeKvLayout(arch_, format_, options.block_tokens)),
        cache_(layout_, options.kv_cache_bytes, options.prefix_caching),
        scheduler_({.max_running_requests = options.max_running_requests,
                    .max_step_tokens = options.max_step_tokens},
                   cache_),
        threads_(options.threads > 0 ? options.threads : omp_get_num_procs()) {
    reference::ModelWeights weights =
        options.safetensors.empty() ? reference::MakeRandomWeights(arch_, options.seed)
                                    : reference::LoadSafetensorsWeights(arch_, options.safetensors);
    model_ = std::make_unique<Model>(arch_, std::move(weights), layout_);
    description_ = {
        .name = "reference",
        .model = arch_.name,
        .details = fmt::format(
            "BF16 weights ({}), KV {} / indexer keys {}, block {} tokens, budget {:.2f} GiB, "
            "{} threads, max {} running, {} tokens per step, prefix caching {}",
            options.safetensors.empty() ? fmt::format("random, seed {}", options.seed)
                                        : "safetensors",
            models::ToString(format_.kv), models::ToString(format_.indexer_keys),
            options.block_tokens, options.kv_cache_bytes / kGiB, threads_,
            options.max_running_requests, options.max_step_tokens,
            options.prefix_caching ? "on" : "off"),
        .counts_flops = true};
    PublishStats();
    step_thread_ = std::thread([this] { StepLoop(); });
  }

  ~ReferenceEngine() override { Shutdown(); }

  EngineDescription Describe() const override { return description_; }

  void Submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) override {
    {
      std::lock_guard lock(inbox_mutex_);
      if (!stopping_) {
        inbox_.push_back({std::move(request), std::move(sink), MonotonicNs()});
        inbox_cv_.notify_one();
        return;
      }
    }
    sink->OnError({request.id, "the engine is shut down", MonotonicNs()});
  }

  void Cancel(RequestId id) override {
    std::lock_guard lock(inbox_mutex_);
    cancels_.push_back(id);
    inbox_cv_.notify_one();
  }

  EngineStats Stats() const override {
    std::lock_guard lock(stats_mutex_);
    return stats_;
  }

  void Shutdown() override {
    {
      std::lock_guard lock(inbox_mutex_);
      if (stopping_) {
        if (step_thread_.joinable()) step_thread_.join();
        return;
      }
      stopping_ = true;
      inbox_cv_.notify_one();
    }
    if (step_thread_.joinable()) step_thread_.join();
  }

 private:
  void StepLoop() {
    omp_set_num_threads(threads_);
    while (TakeInbox()) {
      if (!scheduler_.idle()) RunStep();
      PublishStats();
      DeliverEndings();
    }
    // Shutting down: everything still queued or running ends as cancelled, and so does what
    // was submitted but not yet picked up.
    for (auto& [id, seq] : live_) {
      if (auto owned = scheduler_.Cancel(id)) FinishCancelled(*owned);
    }
    live_.clear();
    std::deque<Submission> unseen;
    {
      std::lock_guard lock(inbox_mutex_);
      unseen.swap(inbox_);
    }
    for (auto& submission : unseen) {
      endings_.push_back(
          {std::move(submission.sink), EngineFinish{.id = submission.request.id,
                                                    .usage = {},
                                                    .reason = FinishReason::kCancelled,
                                                    .engine_time_ns = MonotonicNs()}});
    }
    PublishStats();
    DeliverEndings();
  }

  // Moves submissions and cancels into the scheduler. Blocks while there is nothing to do.
  // Returns false when the engine is stopping.
  bool TakeInbox() {
    std::deque<Submission> submissions;
    std::vector<RequestId> cancels;
    {
      std::unique_lock lock(inbox_mutex_);
      inbox_cv_.wait(lock, [this] {
        return stopping_ || !inbox_.empty() || !cancels_.empty() || !scheduler_.idle();
      });
      if (stopping_) return false;
      submissions.swap(inbox_);
      cancels.swap(cancels_);
    }
    for (auto& submission : submissions) Admit(std::move(submission));
    for (const RequestId id : cancels) {
      if (auto owned = scheduler_.Cancel(id)) {
        live_.erase(id);
        FinishCancelled(*owned);
      }
    }
    return true;
  }

  void Admit(Submission submission) {
    EngineRequest& request = submission.request;
    const auto fail = [&](std::string message) {
      endings_.push_back({std::move(submission.sink),
                          EngineFailure{request.id, std::move(message), MonotonicNs()}});
    };
    if (request.prompt_tokens.empty()) {
      request.prompt_tokens = reference::TokenizeBytes(request.prompt_text);
    }
    if (request.prompt_tokens.empty()) return fail("the prompt is empty");
    if (request.max_output_tokens < 1) {
      return fail(
          fmt::format("max_output_tokens is {}; it must be at least 1", request.max_output_tokens));
    }
    for (std::size_t i = 0; i < request.prompt_tokens.size(); ++i) {
      const TokenId id = request.prompt_tokens[i];
      if (id < 0 || id >= arch_.vocab_size) {
        return fail(fmt::format("prompt token {} is {}, outside {}'s vocabulary of {}", i, id,
                                arch_.name, arch_.vocab_size));
      }
    }
    const auto prompt = static_cast<std::int64_t>(request.prompt_tokens.size());
    if (prompt + request.max_output_tokens > arch_.max_position_embeddings) {
      return fail(fmt::format("{} prompt tokens + {} output tokens exceed {}'s context of {}",
                              prompt, request.max_output_tokens, arch_.name,
                              arch_.max_position_embeddings));
    }
    if (live_.contains(request.id)) {
      return fail(fmt::format("request id {} is already running", request.id.value));
    }
    auto seq = std::make_unique<Sequence>();
    seq->tokens = request.prompt_tokens;
    seq->prompt_tokens = prompt;
    seq->rng.seed(request.sampling.seed);
    seq->submitted_ns = submission.submitted_ns;
    seq->request = std::move(request);
    seq->sink = std::move(submission.sink);
    live_.emplace(seq->request.id, seq.get());
    scheduler_.Add(std::move(seq));
  }

  void RunStep() {
    reference::StepPlan plan = scheduler_.Plan();
    for (auto& rejected : plan.rejected) {
      live_.erase(rejected.seq->request.id);
      endings_.push_back(
          {std::move(rejected.seq->sink),
           EngineFailure{rejected.seq->request.id, std::move(rejected.reason), MonotonicNs()}});
    }
    if (plan.slices.empty()) return;

    slices_.clear();
    for (const auto& slice : plan.slices) {
      slices_.push_back({.tokens = slice.seq->tokens,
                         .kv = &slice.seq->kv,
                         .start = slice.start,
                         .count = slice.count,
                         .want_logits = slice.want_logits});
    }
    logits_.clear();
    FlopsByOpClass step_flops{};
    model_->Forward(slices_, cache_, logits_, step_flops);
    scheduler_.Complete(plan);
    const std::int64_t now_ns = MonotonicNs();

    std::int64_t prompt_positions = 0;
    std::int64_t generated = 0;
    for (const auto& slice : plan.slices) {
      // Positions of prompt tokens (first computation or recomputation after a preemption).
      prompt_positions += std::max<std::int64_t>(
          0, std::min(slice.start + slice.count, slice.seq->prompt_tokens) - slice.start);
    }
    std::size_t row = 0;
    const auto vocab = static_cast<std::size_t>(arch_.vocab_size);
    for (const auto& slice : plan.slices) {
      if (!slice.want_logits) continue;
      Sequence& seq = *slice.seq;
      const std::span<const float> logits(logits_.data() + row * vocab, vocab);
      ++row;
      const TokenId token = sampler_.Sample(logits, seq.request.sampling, seq.rng);
      seq.tokens.push_back(token);
      ++seq.generated_tokens;
      ++generated;
      seq.sink->OnChunk({.id = seq.request.id,
                         .tokens = {token},
                         .token_count = 1,
                         .text = {},
                         .engine_time_ns = now_ns});
      const bool stop = !seq.request.ignore_eos && token == options_.eos_token_id;
      const bool length = seq.generated_tokens >= seq.request.max_output_tokens;
      if (stop || length) {
        const EngineFinish finish{.id = seq.request.id,
                                  .usage = {.prompt_tokens = seq.prompt_tokens,
                                            .cached_prompt_tokens = seq.cached_prompt_tokens,
                                            .completion_tokens = seq.generated_tokens},
                                  .reason = stop ? FinishReason::kStop : FinishReason::kLength,
                                  .engine_time_ns = now_ns,
                                  .queue_time_ns = seq.QueueTimeNs()};
        const RequestId id = seq.request.id;
        std::unique_ptr<Sequence> owned = scheduler_.Finish(&seq);
        live_.erase(id);
        endings_.push_back({std::move(owned->sink), finish});
      }
    }
    for (std::size_t i = 0; i < kOpClassCount; ++i) flops_[i] += step_flops[i];
    ++steps_;
    prompt_tokens_computed_ += prompt_positions;
    generated_tokens_ += generated;
  }

  void FinishCancelled(Sequence& seq) {
    endings_.push_back({std::move(seq.sink),
                        EngineFinish{.id = seq.request.id,
                                     .usage = {.prompt_tokens = seq.prompt_tokens,
                                               .cached_prompt_tokens = seq.cached_prompt_tokens,
                                               .completion_tokens = seq.generated_tokens},
                                     .reason = FinishReason::kCancelled,
                                     .engine_time_ns = MonotonicNs(),
                                     .queue_time_ns = seq.QueueTimeNs()}});
  }

  // Hands every request's last word to its sink. Called after PublishStats, so a caller that
  // reads Stats() once OnFinish or OnError has returned sees the request gone.
  void DeliverEndings() {
    for (auto& ending : endings_) {
      if (const auto* finish = std::get_if<EngineFinish>(&ending.what)) {
        ending.sink->OnFinish(*finish);
      } else {
        ending.sink->OnError(std::get<EngineFailure>(ending.what));
      }
    }
    endings_.clear();
  }

  void PublishStats() {
    const reference::KvCacheStats kv = cache_.Stats();
    EngineStats stats;
    stats.kv_used_bytes = kv.used_bytes;
    stats.kv_allocated_bytes = kv.allocated_bytes;
    stats.kv_peak_used_bytes = kv.peak_used_bytes;
    stats.kv_capacity_bytes = kv.capacity_bytes;
    for (int k = 0; k < reference::kKvKindCount; ++k) {
      const auto& usage = kv.by_kind[k];
      stats.kv_by_kind.push_back({.kind = std::string(ToString(static_cast<reference::KvKind>(k))),
                                  .used_bytes = usage.used_bytes,
                                  .allocated_bytes = usage.allocated_bytes,
                                  .peak_used_bytes = usage.peak_used_bytes});
    }
    stats.running_requests = scheduler_.running();
    stats.waiting_requests = scheduler_.waiting();
    stats.prefix_cache_queried_tokens = kv.queried_tokens;
    stats.prefix_cache_hit_tokens = kv.hit_tokens;
    stats.preemptions = scheduler_.preemptions();
    stats.steps = steps_;
    stats.prompt_tokens_computed = prompt_tokens_computed_;
    stats.generated_tokens = generated_tokens_;
    stats.flops = flops_;
    std::lock_guard lock(stats_mutex_);
    stats_ = std::move(stats);
  }

  const ReferenceEngineOptions options_;
  const models::Architecture arch_;
  const models::CacheFormat format_;
  const KvLayout layout_;
  KvCache cache_;
  Scheduler scheduler_;
  std::unique_ptr<Model> model_;
  reference::Sampler sampler_;
  const int threads_;
  EngineDescription description_;

  // Step-thread state.
  std::unordered_map<RequestId, Sequence*> live_;  // owned by the scheduler
  std::vector<reference::ForwardSlice> slices_;
  std::vector<float> logits_;
  std::vector<Ending> endings_;
  FlopsByOpClass flops_{};
  std::int64_t steps_ = 0;
  std::int64_t prompt_tokens_computed_ = 0;
  std::int64_t generated_tokens_ = 0;

  std::mutex inbox_mutex_;
  std::condition_variable inbox_cv_;
  std::deque<Submission> inbox_;
  std::vector<RequestId> cancels_;
  bool stopping_ = false;

  mutable std::mutex stats_mutex_;
  EngineStats stats_;

  std::thread step_thread_;  // last: started after everything above exists
};

}  // namespace

models::CacheFormat ResolveCacheFormat(const models::Architecture& arch,
                                       const ReferenceEngineOptions& options) {
  models::CacheFormat format = models::DefaultCacheFormat(arch);
  if (!options.kv_format.empty()) {
    const auto kv = models::ParseKvFormat(options.kv_format);
    if (!kv) {
      throw InputError({.source = "options", .field = "kv_format"},
                       fmt::format("'{}' is not a KV format (bf16, fp8, flashmla-fp8, v4-fp8)",
                                   options.kv_format));
    }
    format.kv = *kv;
  }
  if (!options.indexer_key_format.empty()) {
    const auto keys = models::ParseIndexerKeyFormat(options.indexer_key_format);
    if (!keys) {
      throw InputError({.source = "options", .field = "indexer_key_format"},
                       fmt::format("'{}' is not an indexer key format (bf16, fp8, fp4)",
                                   options.indexer_key_format));
    }
    format.indexer_keys = *keys;
  }
  // The format must apply to every layer kind the model has (e.g. v4-fp8 only to V4 layers).
  for (const auto& layer : arch.layers) {
    try {
      (void)models::KvEntryBytes(arch, layer.attention, format.kv);
    } catch (const Error& e) {
      throw InputError({.source = "options", .field = "kv_format"},
                       fmt::format("{} (model {})", e.what(), arch.name));
    }
  }
  return format;
}

models::Architecture ResolveModel(const std::string& model) {
  return models::ResolveArchitecture(model);
}

std::int64_t WeightBytes(const models::Architecture& arch) { return reference::WeightBytes(arch); }

std::unique_ptr<Engine> MakeReferenceEngine(const ReferenceEngineOptions& options) {
  models::Architecture arch = ResolveModel(options.model);
  models::Validate(arch, options.model);
  if (options.kv_cache_bytes <= 0) {
    throw InputError({.source = "options", .field = "kv_cache_bytes"},
                     fmt::format("{} is not a positive byte count", options.kv_cache_bytes));
  }
  if (options.max_step_tokens < 1 || options.max_running_requests < 1) {
    throw InputError({.source = "options", .field = "max_step_tokens"},
                     "max_step_tokens and max_running_requests must be at least 1");
  }
  CheckWeightsFit(arch, options);
  return std::make_unique<ReferenceEngine>(options, std::move(arch));
}

}  // namespace infermeter::engines
