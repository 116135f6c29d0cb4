#include "fixture_db.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <numbers>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "infermeter/collectors/energy_collector.h"
#include "infermeter/collectors/flops_collector.h"
#include "infermeter/collectors/kv_cache_collector.h"
#include "infermeter/collectors/peaks.h"
#include "infermeter/core/engine.h"
#include "infermeter/core/error.h"
#include "infermeter/harness/collector.h"
#include "infermeter/harness/latency_collector.h"
#include "infermeter/harness/metrics.h"
#include "infermeter/harness/validity.h"
#include "infermeter/models/builtin.h"
#include "infermeter/models/decode_traffic.h"
#include "infermeter/models/flops.h"
#include "infermeter/models/hardware.h"
#include "infermeter/models/kv_cache.h"
#include "infermeter/results/sqlite.h"
#include "infermeter/results/store.h"
#include "infermeter/results/writer.h"

namespace infermeter::testing {
namespace {

using results::RequestRecord;
using results::RunMetric;
using results::SampleRecord;

constexpr std::int64_t kUs = 1'000;
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kMiB = 1024 * 1024;
constexpr char kModel[] = "deepseek-v4-flash";
constexpr char kServerUrl[] = "http://127.0.0.1:8000";
constexpr std::int64_t kSampleIntervalNs = 500 * kMs;
constexpr int kDevices = 8;
// 2026-11-02T09:00:00Z: the first run's wall-clock start; the others follow at fixed offsets.
constexpr std::int64_t kFirstRunUnixNs = 1'793'610'000 * kS;
// The monotonic clock of the machines (about 12 days of uptime): any value works, only
// differences within a run mean anything.
constexpr std::int64_t kMonotonicBaseNs = 1'036'800 * kS;

std::int64_t Ns(double ms) { return static_cast<std::int64_t>(std::llround(ms * 1e6)); }

// std::mt19937_64's output is the same everywhere; the standard distributions are not, so the
// few this needs are written out here.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  std::int64_t Int(std::int64_t lo, std::int64_t hi) {  // [lo, hi]
    const auto n = static_cast<double>(hi - lo + 1);
    return std::min(hi, lo + static_cast<std::int64_t>(Uniform() * n));
  }
  bool Chance(double p) { return Uniform() < p; }
  double Normal() {  // Box-Muller
    const double u1 = 1.0 - Uniform(), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }

 private:
  std::mt19937_64 engine_;
};

// ---------------------------------------------------------------------------------------------
// Workloads: the same requests whatever the hardware, so runs compare like-for-like.

struct Turn {
  std::int64_t input_tokens = 0;
  std::int64_t cached_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t tool_ns = 0;  // agentic: tool time between the previous turn's end and this one
};

struct Workload {
  std::string name;
  std::string description;
  std::uint64_t seed = 0;
  std::vector<std::vector<Turn>> sessions;  // chat: one turn each, without a session id
  std::string hash;                         // 16 hex digits, as `infermeter run` writes
};

void HashWorkload(Workload& w) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  const auto mix = [&h](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 1099511628211ULL;
    }
  };
  for (const char c : w.name) mix(static_cast<unsigned char>(c));
  mix(w.seed);
  for (const auto& session : w.sessions) {
    mix(session.size());
    for (const Turn& t : session) {
      mix(static_cast<std::uint64_t>(t.input_tokens));
      mix(static_cast<std::uint64_t>(t.cached_tokens));
      mix(static_cast<std::uint64_t>(t.output_tokens));
      mix(static_cast<std::uint64_t>(t.tool_ns));
    }
  }
  w.hash = fmt::format("{:016x}", h);
}

// Prompts 200-8000 tokens (log-uniform, so short and long both show), outputs 50-400; a third
// of the prompts start with a 256-token system prompt the server's prefix cache holds.
Workload ChatWorkload(std::string name, std::string description, int requests, std::uint64_t seed) {
  Workload w{.name = std::move(name), .description = std::move(description), .seed = seed};
  Rng rng(seed);
  for (int i = 0; i < requests; ++i) {
    Turn t;
    t.input_tokens = std::llround(std::exp(rng.Uniform(std::log(200.0), std::log(8000.0))));
    t.output_tokens = rng.Int(50, 400);
    if (t.input_tokens > 512 && rng.Chance(0.33)) t.cached_tokens = 256;
    w.sessions.push_back({t});
  }
  HashWorkload(w);
  return w;
}

// Agent sessions of 3-8 turns: each turn's prompt is the whole conversation so far (served from
// the prefix cache) plus the tool's result; tool calls are short, the final answer longer; the
// tool runs 0.15-8 s between turns.
Workload AgenticWorkload(int sessions, std::uint64_t seed) {
  Workload w{.name = "agentic",
             .description = fmt::format("{} agent sessions of 3-8 turns with tool calls (tool "
                                        "time 0.15-8 s between turns), prompts up to 8K tokens",
                                        sessions),
             .seed = seed};
  Rng rng(seed);
  for (int s = 0; s < sessions; ++s) {
    const std::int64_t turns = rng.Int(3, 8);
    std::vector<Turn> session;
    std::int64_t input = rng.Int(1200, 2600);
    std::int64_t cached = s == 0 ? 0 : 1024;  // the shared system prompt and tool list
    for (std::int64_t i = 0; i < turns; ++i) {
      const bool last = i + 1 == turns;
      Turn t{.input_tokens = input,
             .cached_tokens = cached,
             .output_tokens = last ? rng.Int(150, 400) : rng.Int(50, 160)};
      if (i > 0) {
        const double tool_s = std::clamp(rng.LogNormal(1.2, 0.7), 0.15, 8.0);
        t.tool_ns = Ns(tool_s * 1000);
      }
      session.push_back(t);
      const std::int64_t next = input + t.output_tokens + rng.Int(150, 900);
      if (next > 8000) break;
      cached = input + t.output_tokens;
      input = next;
    }
    w.sessions.push_back(std::move(session));
  }
  HashWorkload(w);
  return w;
}

// ---------------------------------------------------------------------------------------------
// Hardware: how fast the server is, and what the collectors saw of the machine.

struct Hardware {
  std::string kind;  // "h100", "ascend": the `hardware` label
  std::string host;
  std::string hardware_json;
  std::string catalog_device;  // models::HardwareCatalog name, for the MFU peak
  bool nvidia = true;
  // The server's speed: TTFT = queue + prefill_base + per-token x uncached prompt tokens;
  // TPOT grows a little with the context. Stalls are other requests' prefills in the batch.
  double prefill_base_ms = 0;
  double prefill_us_per_token = 0;
  double prefill_capacity_tokens_per_s = 0;  // many prompts at once (chunked prefill)
  double queue_mean_ms = 0;
  double tpot_ms = 0;
  double tpot_growth_per_1k_tokens = 0;
  double stall_probability = 0;
  double stall_mean_ms = 0;
  std::int64_t kv_capacity_tokens = 0;  // the server's cache (num_gpu_blocks x block_size)
  // Device telemetry.
  double idle_watts = 0;
  double busy_watts = 0;
  std::int64_t device_memory_total_bytes = 0;
  std::int64_t device_memory_used_bytes = 0;  // the server pre-allocates: flat during a run
  std::string driver_version;
  std::int64_t host_memory_total_bytes = 0;
};

std::string H100HardwareJson() {
  nlohmann::json gpus = nlohmann::json::array();
  for (int i = 0; i < kDevices; ++i) {
    gpus.push_back(
        {{"index", i},
         {"name", "NVIDIA H100 80GB HBM3"},
         {"uuid", fmt::format("GPU-6f1c2a{:02d}-9b3e-4c1d-8a7f-2e5d0c91b{:03d}", i, 417 + 31 * i)},
         {"memory_total_bytes", 85520809984LL},
         {"driver_version", "570.133.20"},
         {"compute_capability", "9.0"}});
  }
  const nlohmann::json j = {
      {"host", "h100-node-01"},
      {"cpu_model", "Intel(R) Xeon(R) Platinum 8480+"},
      {"logical_cores", 224},
      {"memory_total_bytes", 2164173201408LL},
      {"kernel", "5.15.0-119-generic"},
      {"device", fmt::format("server at {}", kServerUrl)},
      {"engine_details", fmt::format("{}/v1/completions (HTTP/1.1, token-id prompts)", kServerUrl)},
      {"gpus", gpus},
      {"npus", nlohmann::json::array()},
      {"unavailable",
       {{"npus",
         "unavailable: no usable libdcmi.so (/usr/local/dcmi/libdcmi.so: cannot open shared "
         "object file: No such file or directory; "
         "/usr/local/Ascend/driver/lib64/driver/libdcmi.so: cannot open shared object file: No "
         "such file or directory; libdcmi.so: cannot open shared object file: No such file or "
         "directory) and no npu-smi on PATH"}}}};
  return j.dump();
}

// The npus entries are what collectors/src/hardware_description.cpp writes for each chip
// (npu_id, chip_id, name, memory_total_bytes, driver_version, source). `name` is the chip name
// as npu-smi and DCMI give it, "910B3", not "Ascend 910B3".
std::string AscendHardwareJson() {
  nlohmann::json npus = nlohmann::json::array();
  for (int i = 0; i < kDevices; ++i) {
    npus.push_back({{"npu_id", i},
                    {"chip_id", 0},
                    {"name", "910B3"},
                    {"memory_total_bytes", 65536 * kMiB},
                    {"driver_version", "23.0.6"},
                    {"source", "npu-smi 23.0.6"}});
  }
  const nlohmann::json j = {
      {"host", "ascend-node-01"},
      {"cpu_model", "HiSilicon Kunpeng-920"},
      {"logical_cores", 192},
      {"memory_total_bytes", 1622775365632LL},
      {"kernel", "5.10.0-182.0.0.95.oe2203sp3.aarch64"},
      {"device", fmt::format("server at {}", kServerUrl)},
      {"engine_details", fmt::format("{}/v1/completions (HTTP/1.1, token-id prompts)", kServerUrl)},
      {"gpus", nlohmann::json::array()},
      {"npus", npus},
      {"unavailable",
       {{"gpus",
         "unavailable: libnvidia-ml.so.1: cannot open shared object file: No such file or "
         "directory"}}}};
  return j.dump();
}

Hardware H100() {
  return {.kind = "h100",
          .host = "h100-node-01",
          .hardware_json = H100HardwareJson(),
          .catalog_device = "h100-sxm",
          .nvidia = true,
          .prefill_base_ms = 18,
          .prefill_us_per_token = 22,
          .prefill_capacity_tokens_per_s = 140'000,
          .queue_mean_ms = 22,
          .tpot_ms = 19.5,
          .tpot_growth_per_1k_tokens = 0.02,
          .stall_probability = 0.012,
          .stall_mean_ms = 60,
          .kv_capacity_tokens = 1 << 20,
          .idle_watts = 72,
          .busy_watts = 560,
          .device_memory_total_bytes = 85520809984LL,
          .device_memory_used_bytes = 73860 * kMiB,
          .driver_version = "570.133.20",
          .host_memory_total_bytes = 2164173201408LL};
}

Hardware Ascend() {
  return {.kind = "ascend",
          .host = "ascend-node-01",
          .hardware_json = AscendHardwareJson(),
          .catalog_device = "ascend-910b",
          .nvidia = false,
          .prefill_base_ms = 30,
          .prefill_us_per_token = 38,
          .prefill_capacity_tokens_per_s = 45'000,
          .queue_mean_ms = 45,
          .tpot_ms = 27,
          .tpot_growth_per_1k_tokens = 0.03,
          .stall_probability = 0.018,
          .stall_mean_ms = 95,
          .kv_capacity_tokens = 640 * 1024,
          .idle_watts = 92,
          .busy_watts = 235,
          .device_memory_total_bytes = 65536 * kMiB,
          .device_memory_used_bytes = 58704 * kMiB,
          .driver_version = "23.0.6",
          .host_memory_total_bytes = 1622775365632LL};
}

// ---------------------------------------------------------------------------------------------
// The server: the times of one request.

std::int64_t EndOf(const RequestRecord& r) {
  std::int64_t end = r.done_ns.value_or(r.sent_ns.value_or(r.scheduled_ns));
  if (!r.chunks.empty()) end = std::max(end, r.chunks.back().time_ns);
  return end;
}

std::int64_t ScheduleLagNs(Rng& rng) {
  std::int64_t lag = 12 * kUs + Ns(rng.Exponential(0.02));
  if (rng.Chance(0.004)) lag += Ns(rng.Uniform(0.8, 2.5));  // a scheduler hiccup
  return lag;
}

struct ServeOptions {
  double queue_ms = 0;      // waiting for a slot, on top of the server's usual queueing
  double tpot_scale = 1;    // a fuller batch decodes slower
  bool stalls_out = false;  // the stream stops mid-way and the idle timeout ends it
  std::int64_t idle_timeout_ms = 120'000;
};

// A request the server took at `sent_ns`: connection (keep-alive, so at once), headers, prefill,
// then chunks of 1-4 tokens (mostly 1) at the decode pace, the last one followed by [DONE].
RequestRecord Serve(const Turn& turn, std::int64_t scheduled_ns, std::int64_t sent_ns,
                    const Hardware& hw, const ServeOptions& options, Rng& rng) {
  RequestRecord r;
  r.scheduled_ns = scheduled_ns;
  r.released_ns = scheduled_ns;
  r.sent_ns = sent_ns;
  r.input_tokens = turn.input_tokens;
  r.cached_tokens = turn.cached_tokens;
  r.requested_output_tokens = turn.output_tokens;
  r.connected_ns = sent_ns + Ns(rng.Uniform(0.04, 0.15));
  r.first_byte_ns = sent_ns + Ns(rng.Uniform(0.8, 2.4));
  const double uncached = static_cast<double>(turn.input_tokens - turn.cached_tokens);
  const double prefill_ms =
      (hw.prefill_base_ms + hw.prefill_us_per_token * uncached / 1000) * rng.LogNormal(1, 0.12);
  const double ttft_ms = options.queue_ms + rng.Exponential(hw.queue_mean_ms) + prefill_ms;
  std::int64_t t = std::max(sent_ns + Ns(ttft_ms), *r.first_byte_ns + 100 * kUs);
  const double tpot_ms =
      hw.tpot_ms * options.tpot_scale * rng.LogNormal(1, 0.07) *
      (1 + hw.tpot_growth_per_1k_tokens * static_cast<double>(turn.input_tokens) / 1000);
  const std::int64_t stall_after =
      options.stalls_out ? rng.Int(1, std::max<std::int64_t>(1, turn.output_tokens / 2)) : -1;

  const std::int64_t limit = stall_after > 0 ? stall_after : turn.output_tokens;
  std::int64_t produced = 1;
  r.chunks.push_back({.time_ns = t, .tokens = 1});
  while (produced < limit) {
    const double u = rng.Uniform();
    std::int64_t k = u < 0.72 ? 1 : u < 0.86 ? 2 : u < 0.95 ? 3 : 4;
    k = std::min(k, limit - produced);
    double gap_ms = static_cast<double>(k) * tpot_ms * rng.LogNormal(1, 0.1);
    if (rng.Chance(hw.stall_probability)) gap_ms += rng.Exponential(hw.stall_mean_ms);
    t += Ns(gap_ms);
    r.chunks.push_back({.time_ns = t, .tokens = static_cast<std::int32_t>(k)});
    produced += k;
  }
  r.first_token_ns = r.chunks.front().time_ns;
  r.first_visible_token_ns = r.first_token_ns;
  r.last_token_ns = r.chunks.back().time_ns;
  r.output_tokens = produced;
  if (options.stalls_out) {
    r.done_ns = t + options.idle_timeout_ms * kMs;
    r.status = results::RequestStatus::kError;
    r.error_class = "timeout";
    r.error_message = fmt::format("{}/v1/completions sent nothing for {} ms", kServerUrl,
                                  options.idle_timeout_ms);
  } else {
    r.done_ns = t + Ns(rng.Uniform(0.15, 0.7));
    r.finish_reason = "length";
  }
  return r;
}

// The server turned the request away: headers and a short error body, no token.
RequestRecord Reject(const Turn& turn, std::int64_t scheduled_ns, std::int64_t sent_ns, int waiting,
                     Rng& rng) {
  RequestRecord r;
  r.scheduled_ns = scheduled_ns;
  r.released_ns = scheduled_ns;
  r.sent_ns = sent_ns;
  r.input_tokens = turn.input_tokens;
  r.cached_tokens = turn.cached_tokens;
  r.requested_output_tokens = turn.output_tokens;
  r.connected_ns = sent_ns + Ns(rng.Uniform(0.04, 0.15));
  r.first_byte_ns = sent_ns + Ns(rng.Uniform(1.0, 3.5));
  r.done_ns = *r.first_byte_ns + Ns(rng.Uniform(0.1, 0.4));
  r.status = results::RequestStatus::kError;
  r.error_class = "http_503";
  r.error_message = fmt::format(
      R"({}/v1/completions answered HTTP 503: {{"object":"error","message":"Service )"
      R"(Unavailable: {} requests waiting, the queue is full","type":"ServiceUnavailableError",)"
      R"("code":503}})",
      kServerUrl, waiting);
  return r;
}

// Request ids in send order, as the harness gives them.
void NumberBySendTime(std::vector<RequestRecord>& requests) {
  std::stable_sort(requests.begin(), requests.end(),
                   [](const auto& a, const auto& b) { return *a.sent_ns < *b.sent_ns; });
  for (std::size_t i = 0; i < requests.size(); ++i) {
    requests[i].request_id = static_cast<std::int64_t>(i);
  }
}

// Closed loop: `concurrency` clients, each sending the next request when its last one ended;
// with `until_ns`, only the requests sent by then.
std::vector<RequestRecord> RunClosedLoop(const Workload& w, const Hardware& hw, int concurrency,
                                         std::int64_t start_ns, std::uint64_t seed,
                                         std::optional<std::int64_t> until_ns = std::nullopt) {
  Rng rng(seed);
  using Slot = std::pair<std::int64_t, int>;  // free at, client
  std::priority_queue<Slot, std::vector<Slot>, std::greater<>> free;
  for (int c = 0; c < concurrency; ++c) free.emplace(start_ns + c * 150 * kUs, c);
  std::vector<RequestRecord> requests;
  double first_wave_ms = 0;
  for (const auto& session : w.sessions) {
    const auto [at, client] = free.top();
    free.pop();
    if (until_ns && at > *until_ns) break;
    // Every client sends at once at the start: that first wave waits for the prefills before
    // it, at the server's prefill capacity.
    ServeOptions options;
    if (requests.size() < static_cast<std::size_t>(concurrency)) {
      const Turn& turn = session.front();
      options.queue_ms = first_wave_ms;
      first_wave_ms += static_cast<double>(turn.input_tokens - turn.cached_tokens) /
                       hw.prefill_capacity_tokens_per_s * 1000;
    }
    RequestRecord r = Serve(session.front(), at, at + ScheduleLagNs(rng), hw, options, rng);
    free.emplace(EndOf(r), client);
    requests.push_back(std::move(r));
  }
  NumberBySendTime(requests);
  return requests;
}

// Agents: each runs one session after another; a turn is sent when the tool the previous turn
// called has run.
std::vector<RequestRecord> RunAgents(const Workload& w, const Hardware& hw, int agents,
                                     std::int64_t start_ns, std::uint64_t seed) {
  Rng rng(seed);
  using Slot = std::pair<std::int64_t, int>;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<>> free;
  for (int a = 0; a < agents; ++a) free.emplace(start_ns + a * 40 * kMs, a);
  std::vector<RequestRecord> requests;
  for (std::size_t s = 0; s < w.sessions.size(); ++s) {
    auto [t, agent] = free.top();
    free.pop();
    for (std::size_t i = 0; i < w.sessions[s].size(); ++i) {
      const Turn& turn = w.sessions[s][i];
      const std::int64_t scheduled = t + turn.tool_ns;
      RequestRecord r = Serve(turn, scheduled, scheduled + ScheduleLagNs(rng), hw, {}, rng);
      r.session_id = fmt::format("agent-{:03d}", s);
      r.turn_index = static_cast<std::int32_t>(i);
      t = EndOf(r);
      requests.push_back(std::move(r));
    }
    free.emplace(t + Ns(rng.Uniform(5, 30)), agent);
  }
  NumberBySendTime(requests);
  return requests;
}

// Open loop with a burst: Poisson arrivals at `base_rate`, and `burst_rate` for a while, into a
// server of `slots` running requests and a queue of `max_waiting`. Beyond that it answers 503;
// while overloaded a few streams hang until the client's idle timeout cuts them.
std::vector<RequestRecord> RunBurst(const Workload& w, const Hardware& hw, std::int64_t start_ns,
                                    std::uint64_t seed) {
  constexpr double kBaseRate = 10, kBurstRate = 24;
  constexpr std::int64_t kBurstFrom = 20 * kS, kBurstTo = 32 * kS;
  constexpr int kSlots = 96, kMaxWaiting = 40;
  Rng rng(seed);
  std::priority_queue<std::int64_t, std::vector<std::int64_t>, std::greater<>> slots;
  for (int i = 0; i < kSlots; ++i) slots.push(start_ns);
  std::priority_queue<std::int64_t, std::vector<std::int64_t>, std::greater<>> waiting;
  std::vector<std::int64_t> busy_until;  // of the admitted requests
  std::vector<RequestRecord> requests;
  std::int64_t t = start_ns;
  for (const auto& session : w.sessions) {
    const std::int64_t offset = t - start_ns;
    const double rate = offset >= kBurstFrom && offset < kBurstTo ? kBurstRate : kBaseRate;
    t += Ns(rng.Exponential(1000.0 / rate));
    const std::int64_t sent = t + ScheduleLagNs(rng);
    while (!waiting.empty() && waiting.top() <= sent) waiting.pop();
    if (static_cast<int>(waiting.size()) >= kMaxWaiting) {
      requests.push_back(Reject(session.front(), t, sent, static_cast<int>(waiting.size()), rng));
      continue;
    }
    const std::int64_t begin = std::max(sent, slots.top());
    slots.pop();
    if (begin > sent) waiting.push(begin);
    const auto running = std::count_if(busy_until.begin(), busy_until.end(),
                                       [begin](std::int64_t end) { return end > begin; });
    const ServeOptions options{.queue_ms = static_cast<double>(begin - sent) / 1e6,
                               .tpot_scale = 1 + 0.45 * static_cast<double>(running) / kSlots,
                               .stalls_out = running > kSlots * 3 / 4 && rng.Chance(0.06),
                               .idle_timeout_ms = 10'000};
    RequestRecord r = Serve(session.front(), t, sent, hw, options, rng);
    slots.push(EndOf(r));
    busy_until.push_back(EndOf(r));
    requests.push_back(std::move(r));
  }
  NumberBySendTime(requests);
  return requests;
}

// ---------------------------------------------------------------------------------------------
// What the collectors see while a run goes on, at any time: from the simulated requests.

class RunTimeline {
 public:
  explicit RunTimeline(const std::vector<RequestRecord>& requests) {
    for (const auto& r : requests) {
      sent_.push_back(*r.sent_ns);
      ended_.push_back(EndOf(r));
      if (r.status == results::RequestStatus::kError) failed_.push_back(EndOf(r));
      for (const auto& c : r.chunks) chunks_.emplace_back(c.time_ns, c.tokens);
    }
    std::sort(sent_.begin(), sent_.end());
    std::sort(ended_.begin(), ended_.end());
    std::sort(failed_.begin(), failed_.end());
    std::sort(chunks_.begin(), chunks_.end());
    std::int64_t sum = 0;
    for (const auto& c : chunks_) tokens_before_.push_back(sum += c.second);
  }

  std::int64_t Sent(std::int64_t t) const { return AtOrBefore(sent_, t); }
  std::int64_t Ended(std::int64_t t) const { return AtOrBefore(ended_, t); }
  std::int64_t Failed(std::int64_t t) const { return AtOrBefore(failed_, t); }
  std::int64_t InFlight(std::int64_t t) const { return Sent(t) - Ended(t); }
  std::int64_t OutputTokens(std::int64_t t) const {
    const auto it = std::upper_bound(chunks_.begin(), chunks_.end(),
                                     std::pair<std::int64_t, std::int64_t>(t, INT64_MAX));
    return it == chunks_.begin() ? 0 : tokens_before_[(it - chunks_.begin()) - 1];
  }

 private:
  static std::int64_t AtOrBefore(const std::vector<std::int64_t>& v, std::int64_t t) {
    return std::upper_bound(v.begin(), v.end(), t) - v.begin();
  }
  std::vector<std::int64_t> sent_, ended_, failed_;
  std::vector<std::pair<std::int64_t, std::int64_t>> chunks_;
  std::vector<std::int64_t> tokens_before_;
};

// Per sampling interval (ticks[i-1], ticks[i]]: the cost model's FLOPs as the server ran them
// (each prefill over the time it took, just before the first token; each later token at its
// chunk), and the KV bytes of the tokens in flight at each tick.
struct TickFigures {
  std::vector<double> flops;     // in the interval ending at the tick
  std::vector<double> kv_bytes;  // at the tick
};

TickFigures ComputeTickFigures(const std::vector<RequestRecord>& requests,
                               const std::vector<std::int64_t>& ticks, std::int64_t start_ns,
                               const Hardware& hw, const models::FlopsCalculator& calc,
                               const models::Architecture& arch, const models::CacheFormat& cache) {
  TickFigures f{.flops = std::vector<double>(ticks.size(), 0.0),
                .kv_bytes = std::vector<double>(ticks.size(), 0.0)};
  const auto tick_of = [&](std::int64_t t) {  // first tick at or after t
    return static_cast<std::size_t>(std::lower_bound(ticks.begin(), ticks.end(), t) -
                                    ticks.begin());
  };
  const auto spread = [&](std::int64_t from, std::int64_t to, double amount) {
    if (to <= from) {
      const std::size_t i = tick_of(to);
      if (i < ticks.size()) f.flops[i] += amount;
      return;
    }
    for (std::size_t i = tick_of(from); i < ticks.size(); ++i) {
      const std::int64_t lo = std::max(from, i == 0 ? start_ns : ticks[i - 1]);
      const std::int64_t hi = std::min(to, ticks[i]);
      if (hi > lo)
        f.flops[i] += amount * static_cast<double>(hi - lo) / static_cast<double>(to - from);
      if (ticks[i] >= to) break;
    }
  };
  for (const auto& r : requests) {
    if (r.chunks.empty()) continue;
    const double prefill = calc.Request(r.input_tokens, r.cached_tokens, 1).Total();
    const double prefill_ms =
        hw.prefill_base_ms +
        hw.prefill_us_per_token * static_cast<double>(r.input_tokens - r.cached_tokens) / 1000;
    const std::int64_t first = r.chunks.front().time_ns;
    spread(std::max(*r.sent_ns, first - Ns(prefill_ms)), first, prefill);
    if (r.output_tokens > 1) {
      const double per_token =
          (calc.Request(r.input_tokens, r.cached_tokens, r.output_tokens).Total() - prefill) /
          static_cast<double>(r.output_tokens - 1);
      for (std::size_t c = 0; c < r.chunks.size(); ++c) {
        const double tokens = r.chunks[c].tokens - (c == 0 ? 1 : 0);
        const std::size_t i = tick_of(r.chunks[c].time_ns);
        if (i < ticks.size()) f.flops[i] += tokens * per_token;
      }
    }
    // KV: the prompt from the send on, plus what has streamed by each tick.
    const std::int64_t end = EndOf(r);
    std::int64_t tokens = r.input_tokens;
    std::size_t next = 0;
    for (std::size_t i = tick_of(*r.sent_ns); i < ticks.size() && ticks[i] < end; ++i) {
      while (next < r.chunks.size() && r.chunks[next].time_ns <= ticks[i]) {
        tokens += r.chunks[next++].tokens;
      }
      f.kv_bytes[i] += static_cast<double>(models::SequenceKvBytes(arch, tokens, cache).Total());
    }
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Simulated telemetry collectors: the names, labels, figures and facts of collectors/src's
// system, nvml and ascend collectors, from the simulated load instead of /proc, NVML or npu-smi.

struct LiveState {
  double activity = 0;  // 0 idle .. 1 saturated
  std::int64_t in_flight = 0;
  std::int64_t finished = 0;
};

double Clamp(double v, double lo, double hi) { return std::min(hi, std::max(lo, v)); }

class SimulatedSystem final : public harness::Collector {
 public:
  SimulatedSystem(const LiveState& live, std::int64_t host_memory_total, std::uint64_t seed)
      : live_(live), host_memory_total_(host_memory_total), rng_(seed) {}
  std::string_view Name() const override { return "system"; }
  void Start(const harness::CollectorContext& context) override {
    run_ = context.run;
    start_ns_ = prev_ns_ = context.start_ns;
  }
  void Sample(std::int64_t now_ns, std::vector<SampleRecord>& out) override {
    const auto add = [&](const char* metric, double value) {
      out.push_back({.run_id = run_,
                     .time_ns = now_ns,
                     .source = "system",
                     .metric = metric,
                     .labels_json = "{}",
                     .value = value});
    };
    if (now_ns - prev_ns_ >= 100 * kMs) {  // CPU time comes in 10 ms ticks
      const double percent =
          Clamp(4 + 0.45 * static_cast<double>(live_.in_flight) + rng_.Normal() * 1.2, 0.5, 200);
      const double ticks = std::round(percent * static_cast<double>(now_ns - prev_ns_) / 1e9);
      cpu_s_ += ticks / 100;
      add("process_cpu_percent",
          ticks / 100 / (static_cast<double>(now_ns - prev_ns_) * 1e-9) * 100);
      prev_ns_ = now_ns;
    }
    const double rss =
        static_cast<double>(150 * kMiB + live_.finished * 9 * 1024 + live_.in_flight * 64 * 1024);
    rss_peak_ = std::max(rss_peak_, rss);
    add("process_rss_bytes", rss);
    add("host_memory_used_bytes", std::round(static_cast<double>(host_memory_total_) * 0.21 + rss +
                                             rng_.Uniform(0, 4) * kMiB));
    add("host_memory_total_bytes", static_cast<double>(host_memory_total_));
  }
  void Summarize(const harness::CollectorSummaryInput& input, std::vector<RunMetric>& metrics,
                 std::vector<SampleRecord>&) override {
    metrics.push_back({input.run, "process_cpu_s", cpu_s_, "s"});
    if (prev_ns_ > start_ns_) {
      metrics.push_back({input.run, "process_cpu_percent_mean",
                         cpu_s_ / (static_cast<double>(prev_ns_ - start_ns_) * 1e-9) * 100, "%"});
    }
    metrics.push_back({input.run, "process_rss_peak_bytes", rss_peak_ + 6 * kMiB, "bytes"});
    metrics.push_back(
        {input.run, "host_memory_total_bytes", static_cast<double>(host_memory_total_), "bytes"});
  }
  std::vector<std::pair<std::string, std::string>> Facts() const override {
    return {{"process",
             "pid 48213: this process only; an engine running as another process is "
             "not counted"},
            {"cpu_time_source", "utime + stime of /proc/self/stat in clock ticks (100 per second)"},
            {"rss_peak_source",
             "VmHWM of /proc/self/status: the peak since the process started, not since the run "
             "started"},
            {"host_memory_source", "MemTotal - MemAvailable of /proc/meminfo"}};
  }

 private:
  const LiveState& live_;
  std::int64_t host_memory_total_;
  Rng rng_;
  RunId run_;
  std::int64_t start_ns_ = 0, prev_ns_ = 0;
  double cpu_s_ = 0, rss_peak_ = 0;
};

// One device's readings, shared by the NVML and Ascend simulations.
struct DeviceModel {
  double power_offset = 0;  // per-device spread
  double temperature = 35;  // lags behind the load
  double energy_j = 0;      // since Start
  double power_sum = 0;     // over samples
  std::int64_t power_samples = 0;
  double last_power = 0;
  std::int64_t last_ns = 0;
};

class SimulatedNvml final : public harness::Collector {
 public:
  SimulatedNvml(const LiveState& live, const Hardware& hw, std::uint64_t seed)
      : live_(live), hw_(hw), rng_(seed) {}
  std::string_view Name() const override { return "nvml"; }
  void Start(const harness::CollectorContext& context) override {
    run_ = context.run;
    gpus_.assign(kDevices, {});
    for (int g = 0; g < kDevices; ++g) {
      gpus_[g].power_offset = rng_.Uniform(-12, 12);
      gpus_[g].temperature = 33 + g % 3;
      gpus_[g].last_power = hw_.idle_watts + gpus_[g].power_offset / 4;
      gpus_[g].last_ns = context.start_ns;
    }
  }
  void Sample(std::int64_t now_ns, std::vector<SampleRecord>& out) override {
    for (int g = 0; g < kDevices; ++g) {
      DeviceModel& d = gpus_[g];
      const std::string labels = fmt::format(R"({{"gpu":"{}"}})", g);
      const auto add = [&](const char* metric, double value) {
        out.push_back({.run_id = run_,
                       .time_ns = now_ns,
                       .source = "nvml",
                       .metric = metric,
                       .labels_json = labels,
                       .value = value});
      };
      const double a = live_.activity;
      const double util = a == 0 ? 0 : std::round(Clamp(38 + 60 * a + rng_.Normal() * 2.5, 1, 100));
      const double memory_util = std::round(Clamp(util * 0.55 + rng_.Normal() * 2, 0, 100));
      const double watts =
          std::round(Clamp(hw_.idle_watts + d.power_offset / 4 +
                               (hw_.busy_watts + d.power_offset) * a * 1.02 + rng_.Normal() * 7,
                           60, 700) *
                     1000) /
          1000;  // NVML reports mW
      d.energy_j += (d.last_power + watts) / 2 * static_cast<double>(now_ns - d.last_ns) * 1e-9;
      d.last_power = watts;
      d.last_ns = now_ns;
      d.power_sum += watts;
      ++d.power_samples;
      d.temperature += (33 + g % 3 + 0.42 * util - d.temperature) * 0.06;
      const double used = static_cast<double>(hw_.device_memory_used_bytes + g * 4 * kMiB);
      memory_peak_ = std::max(memory_peak_, used);
      utilization_sum_ += util;
      ++utilization_samples_;
      add("gpu_memory_used_bytes", used);
      add("gpu_memory_total_bytes", static_cast<double>(hw_.device_memory_total_bytes));
      add("gpu_utilization_percent", util);
      add("gpu_memory_utilization_percent", memory_util);
      add("gpu_power_watts", watts);
      add("gpu_energy_j", std::round(d.energy_j * 1000) / 1000);  // a mJ counter
      add("gpu_sm_clock_mhz", watts > 640 ? 1890 : 1980);
      add("gpu_memory_clock_mhz", 2619);
      add("gpu_temperature_c", std::round(d.temperature));
    }
  }
  void Summarize(const harness::CollectorSummaryInput& input, std::vector<RunMetric>& metrics,
                 std::vector<SampleRecord>&) override {
    double energy = 0, power = 0;
    for (const DeviceModel& d : gpus_) {
      energy += std::round(d.energy_j * 1000) / 1000;
      if (d.power_samples > 0) power += d.power_sum / static_cast<double>(d.power_samples);
    }
    metrics.push_back({input.run, "gpu_energy_j", energy, "J"});
    metrics.push_back({input.run, "gpu_power_mean_w", power, "W"});
    metrics.push_back({input.run, "gpu_memory_used_peak_bytes", memory_peak_, "bytes"});
    if (utilization_samples_ > 0) {
      metrics.push_back({input.run, "gpu_utilization_mean_percent",
                         utilization_sum_ / static_cast<double>(utilization_samples_), "%"});
    }
  }
  std::vector<std::pair<std::string, std::string>> Facts() const override {
    std::string gpus, energy;
    for (int g = 0; g < kDevices; ++g) {
      gpus += fmt::format(
          "{}{}: NVIDIA H100 80GB HBM3 (GPU-6f1c2a{:02d}-9b3e-4c1d-8a7f-2e5d0c91b{:03d})",
          g == 0 ? "" : "; ", g, g, 417 + 31 * g);
      energy += fmt::format("{}gpu {}: energy counter increase since Start", g == 0 ? "" : "; ", g);
    }
    return {
        {"library", "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"},
        {"driver_version", hw_.driver_version},
        {"nvml_version", "12.570.133.20"},
        {"gpus", gpus},
        {"memory_source", "nvmlDeviceGetMemoryInfo_v2: used excludes the driver's reserved memory"},
        {"power_source",
         "nvmlDeviceGetPowerUsage: board power; Ampere and newer (except GA100) average it "
         "over 1 s"},
        {"process_memory_pids",
         "48213 (this process); NVML lists host PIDs, which may not match inside a "
         "container"},
        {"energy_source", energy}};
  }

 private:
  const LiveState& live_;
  const Hardware& hw_;
  Rng rng_;
  RunId run_;
  std::vector<DeviceModel> gpus_;
  double memory_peak_ = 0, utilization_sum_ = 0;
  std::int64_t utilization_samples_ = 0;
};

class SimulatedAscend final : public harness::Collector {
 public:
  SimulatedAscend(const LiveState& live, const Hardware& hw, std::uint64_t seed)
      : live_(live), hw_(hw), rng_(seed) {}
  std::string_view Name() const override { return "ascend"; }
  void Start(const harness::CollectorContext& context) override {
    run_ = context.run;
    start_ns_ = last_reading_ns_ = context.start_ns;
    npus_.assign(kDevices, {});
    for (int n = 0; n < kDevices; ++n) {
      npus_[n].power_offset = rng_.Uniform(-6, 6);
      npus_[n].temperature = 37 + n % 3;
    }
  }
  // A background thread reads npu-smi every 500 ms; each sample hands over the newest reading,
  // stamped with the time it was taken (midway through the ~300 ms npu-smi call).
  void Sample(std::int64_t now_ns, std::vector<SampleRecord>& out) override {
    const std::int64_t reading_ns =
        std::max(last_reading_ns_ + 1, now_ns - 150 * kMs - Ns(rng_.Uniform(0, 250)));
    last_reading_ns_ = reading_ns;
    double total_power = 0;
    for (int n = 0; n < kDevices; ++n) {
      DeviceModel& d = npus_[n];
      const std::string labels = fmt::format(R"({{"chip":"0","npu":"{}"}})", n);
      const auto add = [&](const char* metric, double value) {
        out.push_back({.run_id = run_,
                       .time_ns = reading_ns,
                       .source = "ascend",
                       .metric = metric,
                       .labels_json = labels,
                       .value = value});
      };
      const double a = live_.activity;
      const double aicore = a == 0 ? 0 : std::round(Clamp(30 + 66 * a + rng_.Normal() * 3, 0, 100));
      const double watts =
          std::round((hw_.idle_watts + d.power_offset + (hw_.busy_watts + 2 * d.power_offset) * a +
                      rng_.Normal() * 3.5) *
                     10) /
          10;  // npu-smi prints 0.1 W
      d.temperature += (36 + n % 3 + 0.21 * aicore - d.temperature) * 0.06;
      const double used_mb = static_cast<double>(hw_.device_memory_used_bytes / kMiB) +
                             static_cast<double>(n * 3) +
                             (a > 0 ? std::round(rng_.Uniform(0, 6)) : 0);
      const double used = used_mb * kMiB;
      total_power += watts;
      if (reading_ns >= start_ns_) {
        memory_peak_ = std::max(memory_peak_, used);
        aicore_sum_ += aicore;
        ++aicore_count_;
      }
      add("npu_memory_used_bytes", used);
      add("npu_memory_total_bytes", static_cast<double>(hw_.device_memory_total_bytes));
      add("npu_aicore_utilization_percent", aicore);
      add("npu_power_watts", watts);
      add("npu_temperature_c", std::round(d.temperature));
    }
    power_.emplace_back(reading_ns, total_power);
  }
  void Summarize(const harness::CollectorSummaryInput& input, std::vector<RunMetric>& metrics,
                 std::vector<SampleRecord>&) override {
    // The trapezoidal rule over the summed power readings, clipped to the run (as the real
    // collector integrates).
    double joules = 0;
    std::int64_t covered = 0;
    for (std::size_t i = 1; i < power_.size(); ++i) {
      const auto [t0, p0] = power_[i - 1];
      const auto [t1, p1] = power_[i];
      const std::int64_t lo = std::max(t0, input.start_ns), hi = std::min(t1, input.end_ns);
      if (hi <= lo) continue;
      const auto at = [&](std::int64_t t) {
        return p0 + (p1 - p0) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
      };
      joules += (at(lo) + at(hi)) / 2 * static_cast<double>(hi - lo) * 1e-9;
      covered += hi - lo;
    }
    if (covered > 0) {
      metrics.push_back({input.run, "npu_energy_j", joules, "J"});
      metrics.push_back(
          {input.run, "npu_power_mean_w", joules / (static_cast<double>(covered) * 1e-9), "W"});
    }
    metrics.push_back({input.run, "npu_memory_used_peak_bytes", memory_peak_, "bytes"});
    if (aicore_count_ > 0) {
      metrics.push_back({input.run, "npu_aicore_utilization_mean_percent",
                         aicore_sum_ / static_cast<double>(aicore_count_), "%"});
    }
    energy_window_ = fmt::format("{:.3f} s of the run's {:.3f} s lie between power readings",
                                 static_cast<double>(covered) * 1e-9,
                                 static_cast<double>(input.end_ns - input.start_ns) * 1e-9);
  }
  std::vector<std::pair<std::string, std::string>> Facts() const override {
    return {{"npu_source", "npu-smi 23.0.6"},
            {"npu_smi", "/usr/local/sbin/npu-smi"},
            {"npu_dcmi_unavailable",
             "no usable libdcmi.so (/usr/local/dcmi/libdcmi.so: cannot open shared object file: "
             "No such file or directory; /usr/local/Ascend/driver/lib64/driver/libdcmi.so: "
             "dcmi_init returned -8005)"},
            {"npu_devices", "8 x 910B3"},
            {"npu_driver_version", hw_.driver_version},
            {"npu_sampling",
             "a background thread reads every 500 ms (npu-smi back to back when slower, 5000 ms "
             "timeout); each sampling interval stores the newest reading, stamped with the time "
             "it was taken"},
            {"npu_energy_method",
             "integrated (trapezoidal rule) from the power readings at the sampling interval, "
             "summed over all chips; not a hardware energy counter"},
            {"npu_energy_window", energy_window_}};
  }

 private:
  const LiveState& live_;
  const Hardware& hw_;
  Rng rng_;
  RunId run_;
  std::int64_t start_ns_ = 0, last_reading_ns_ = 0;
  std::vector<DeviceModel> npus_;
  std::vector<std::pair<std::int64_t, double>> power_;
  double memory_peak_ = 0, aicore_sum_ = 0;
  std::int64_t aicore_count_ = 0;
  std::string energy_window_;
};

// What the KV-cache collector reads: a server that reports a usage ratio (vLLM's
// kv_cache_usage_perc) and whose capacity is known.
class FixtureEngine final : public Engine {
 public:
  EngineDescription Describe() const override {
    return {.name = "openai",
            .model = kModel,
            .details = fmt::format("{}/v1/completions (HTTP/1.1, token-id prompts)", kServerUrl),
            .counts_flops = false};
  }
  void Submit(EngineRequest, std::shared_ptr<ResponseSink>) override {
    throw Error("the fixture's engine serves nothing");
  }
  void Cancel(RequestId) override {}
  EngineStats Stats() const override { return stats; }
  void Shutdown() override {}

  EngineStats stats;
};

// ---------------------------------------------------------------------------------------------
// Writing one run.

struct RunPlan {
  std::string name;
  const Hardware* hw = nullptr;
  const Workload* workload = nullptr;
  std::map<std::string, std::string> labels;
  nlohmann::json config;
  harness::SloSettings slo;
  std::int64_t wall_start_unix_ns = 0;
  std::int64_t start_ns = 0;  // the run's time zero on its monotonic clock
  std::vector<RequestRecord> requests;
  std::int64_t planned_requests = 0;
  double full_load_in_flight = 48;     // in-flight requests that keep the devices busy
  std::optional<std::int64_t> cut_ns;  // still running: only what happened until then
  std::uint64_t seed = 0;
};

nlohmann::json ConfigJson(const Workload& w, const Hardware& hw, const std::string& mode,
                          std::optional<int> concurrency, const nlohmann::json& arrivals,
                          const std::string& slo, const std::string& api,
                          std::int64_t idle_timeout_ms) {
  return {{"scenario", {{"name", w.name}, {"description", w.description}}},
          {"seed", w.seed},
          {"process", {{"pid", 48213}, {"host", hw.host}}},
          {"load",
           {{"mode", mode},
            {"max_concurrency", concurrency ? nlohmann::json(*concurrency) : nlohmann::json()},
            {"warmup_requests", 0},
            {"max_requests", nlohmann::json()},
            {"max_duration_s", nlohmann::json()},
            {"ignore_eos", true}}},
          {"arrivals", arrivals},
          {"slo", slo},
          {"validity",
           {{"max_schedule_lag_p99_ms", 5.0},
            {"max_error_fraction", 0.01},
            {"min_completed_requests", 1}}},
          {"engine",
           {{"name", "openai"},
            {"url", kServerUrl},
            {"model", kModel},
            {"api", api},
            {"prompt", api == "chat" ? "chat messages" : "token ids"},
            {"return_token_ids", false},
            {"continuous_usage_stats", false},
            {"session_header", "X-Session-ID"},
            {"connect_timeout_ms", 10'000},
            {"request_timeout_ms", 600'000},
            {"idle_timeout_ms", idle_timeout_ms},
            {"max_connections", 0},
            {"http2", false},
            {"api_key", "none"}}}};
}

// BeginRun stamps a run with the time it is written; the fixture's runs keep fixed times so
// that screenshots do not change.
void PinCreatedTime(results::ResultsStore& store, RunId run, std::int64_t unix_ns) {
  results::Statement s(store.database(), "UPDATE runs SET created_unix_ns = ? WHERE id = ?");
  s.Bind(1, unix_ns);
  s.Bind(2, run.value);
  s.Run();
}

RunId WriteRun(results::ResultsStore& store, const std::string& db_path, RunPlan& plan) {
  const Hardware& hw = *plan.hw;
  const Workload& w = *plan.workload;
  const models::Architecture arch = *models::FindBuiltin(kModel);
  const models::CacheFormat cache = models::DefaultCacheFormat(arch);
  const models::HardwareCatalog catalog;
  const collectors::PeakFigures peaks =
      collectors::CatalogPeaks(*catalog.Find(hw.catalog_device), "bf16", kDevices, "--peak");

  results::RunInfo info{
      .name = plan.name,
      .engine = "openai",
      .model = kModel,
      .hardware_json = hw.hardware_json,
      .workload_name = w.name,
      .workload_hash = w.hash,
      .config_json = plan.config.dump(),
      .labels = plan.labels,
      .clock_origin = {.wall_unix_ns = plan.wall_start_unix_ns, .monotonic_ns = plan.start_ns},
      .group_id = std::nullopt,
      .group_point = ""};
  const RunId run = store.BeginRun(info);
  PinCreatedTime(store, run, plan.wall_start_unix_ns);

  std::int64_t end_ns = plan.start_ns;
  for (const auto& r : plan.requests) end_ns = std::max(end_ns, EndOf(r));
  const std::int64_t last_tick = plan.cut_ns.value_or(end_ns);
  std::vector<std::int64_t> ticks;
  for (std::int64_t t = plan.start_ns + kSampleIntervalNs; t < last_tick; t += kSampleIntervalNs) {
    ticks.push_back(t);
  }
  if (!plan.cut_ns) ticks.push_back(end_ns);  // the collectors' Stop

  const RunTimeline timeline(plan.requests);
  const models::FlopsCalculator calc(arch);
  const TickFigures figures =
      ComputeTickFigures(plan.requests, ticks, plan.start_ns, hw, calc, arch, cache);
  const double kv_capacity =
      static_cast<double>(hw.kv_capacity_tokens) * models::KvBytesPerToken(arch, cache);

  FixtureEngine engine;
  LiveState live;
  harness::LoadProgress progress{.planned_requests = plan.planned_requests,
                                 .start_ns = plan.start_ns};
  harness::LatencyCollector latency(plan.slo);
  SimulatedSystem system(live, hw.host_memory_total_bytes, plan.seed + 1);
  SimulatedNvml nvml(live, hw, plan.seed + 2);
  SimulatedAscend ascend(live, hw, plan.seed + 3);
  collectors::FlopsCollector flops(collectors::FlopsCollectorSettings{
      .architecture = arch,
      .cache_format = cache,
      // As DeepSeek publishes the weights (FP8, experts in FP4); `infermeter run --engine
      // openai` says "bf16" today, which puts MBU above 1 for this model.
      .weight_format = std::string(models::DefaultWeightFormat(arch).name),
      .peaks = peaks});
  collectors::KvCacheCollector kv(collectors::KvCacheCollectorSettings{
      .architecture = arch, .cache_format = cache, .capacity_bytes = std::nullopt});
  collectors::EnergyCollector energy;
  harness::Collector* const device = hw.nvidia ? static_cast<harness::Collector*>(&nvml) : &ascend;
  const std::vector<harness::Collector*> collectors{&latency, &system, device,
                                                    &flops,   &kv,     &energy};
  nlohmann::json record = nlohmann::json::object();
  // The other vendor's collector could not start, for the reason the hardware description
  // gives.
  const nlohmann::json unavailable = nlohmann::json::parse(hw.hardware_json)["unavailable"];
  record[hw.nvidia ? "ascend" : "nvml"] = {{"status", "not running"},
                                           {"reason", unavailable[hw.nvidia ? "npus" : "gpus"]}};

  const harness::CollectorContext context{
      .run = run, .start_ns = plan.start_ns, .engine = &engine, .progress = [&progress] {
        return progress;
      }};
  for (harness::Collector* c : collectors) c->Start(context);

  results::ResultsWriter writer(db_path, {.flush_interval_ms = 1000});
  std::vector<SampleRecord> samples;
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    const std::int64_t t = ticks[i];
    live.in_flight = timeline.InFlight(t);
    live.finished = timeline.Ended(t);
    live.activity =
        live.in_flight == 0
            ? 0
            : std::min(1.0, 0.12 + static_cast<double>(live.in_flight) / plan.full_load_in_flight);
    progress.sent_requests = timeline.Sent(t);
    progress.finished_requests = live.finished;
    progress.failed_requests = timeline.Failed(t);
    progress.in_flight_requests = live.in_flight;
    progress.output_tokens = timeline.OutputTokens(t);
    engine.stats.kv_capacity_bytes = static_cast<std::int64_t>(kv_capacity);
    // The server counts whole blocks: a little more than the tokens need.
    engine.stats.kv_usage_ratio = std::min(0.98, figures.kv_bytes[i] * 1.06 / kv_capacity);
    for (harness::Collector* c : collectors) c->Sample(t, samples);
    // FLOP/s and MFU per sampling interval from the cost model (see README.md: the real flops
    // collector writes these only for engines that count FLOPs).
    const double seconds = static_cast<double>(t - (i == 0 ? plan.start_ns : ticks[i - 1])) * 1e-9;
    if (seconds > 0) {
      const double rate = figures.flops[i] / seconds;
      for (const auto& [metric, value] :
           {std::pair{"flops_per_s", rate}, std::pair{"mfu", rate / *peaks.flops_per_s}}) {
        samples.push_back({.run_id = run,
                           .time_ns = t,
                           .source = "flops",
                           .metric = metric,
                           .labels_json = "{}",
                           .value = value});
      }
    }
  }
  for (auto& s : samples) writer.Add(std::move(s));
  samples.clear();
  for (RequestRecord r : plan.requests) {
    if (plan.cut_ns && EndOf(r) > *plan.cut_ns) continue;  // not finished yet: not stored yet
    r.run_id = run;
    writer.Add(std::move(r));
  }

  if (plan.cut_ns) {  // still running: the live rows only
    writer.Close();
    return run;
  }

  writer.Flush();
  // As the runner does: every figure from here on comes from what was stored.
  const std::vector<RequestRecord> stored = store.LoadRequests(run);
  const harness::CollectorSummaryInput input{
      .run = run, .start_ns = plan.start_ns, .end_ns = end_ns, .requests = &stored};
  std::vector<RunMetric> metrics;
  for (harness::Collector* c : collectors) {
    c->Summarize(input, metrics, samples);
    nlohmann::json facts = {{"status", "ran"}};
    for (const auto& [key, value] : c->Facts()) facts[key] = value;
    record[std::string(c->Name())] = std::move(facts);
  }
  metrics.push_back(
      {run, "client_cpu_per_request_us", 31.7 + static_cast<double>(plan.seed % 7), "us"});
  metrics.push_back({run, "warmup_requests", 0, "requests"});
  metrics.push_back({run, "requests_cancelled_at_drain", 0, "requests"});
  metrics.push_back({run, "requests_lost", 0, "requests"});
  for (auto& m : metrics) writer.Add(std::move(m));
  for (auto& s : samples) writer.Add(std::move(s));
  writer.Close();
  store.SetRunCollectors(run, record.dump());

  const harness::ValidityVerdict verdict =
      harness::JudgeRun(*latency.summary(), harness::ValiditySettings{}, false, 0);
  store.SetRunValidity(run, verdict.validity, verdict.reasons);
  store.FinishRun(run, results::RunStatus::kCompleted,
                  plan.wall_start_unix_ns + (end_ns - plan.start_ns) + 420 * kMs);
  return run;
}

}  // namespace

FixtureRuns WriteDashboardFixture(const std::string& db_path) {
  auto store = results::ResultsStore::OpenForWriting(db_path);
  const Hardware h100 = H100(), ascend = Ascend();
  const Workload chat =
      ChatWorkload("chat", "1500 chat requests, prompts 200-8000 tokens, outputs 50-400", 1500, 42);
  const Workload agentic = AgenticWorkload(96, 43);
  const Workload burst = ChatWorkload(
      "chat-burst", "chat requests at 10/s with a 12 s burst at 24/s, prompts 200-8000 tokens", 900,
      44);
  const Workload soak = ChatWorkload(
      "chat-soak", "5000 chat requests, prompts 200-8000 tokens, outputs 50-400", 5000, 45);

  const auto closed = [](const Workload& w, const Hardware& hw, int concurrency,
                         const std::string& slo) {
    return ConfigJson(w, hw, "closed_loop", concurrency, {{"kind", "scenario"}}, slo, "completions",
                      120'000);
  };
  const std::string chat_slo = "ttft=1000,tpot=50";
  const std::string agentic_slo = "ttft=2000,tpot=100";
  const auto slo = [](const std::string& text) { return harness::ParseSlo(text, "--slo"); };
  // Wall-clock starts: two days of runs, a few weeks before the soak that is still going.
  const auto at = [](std::int64_t hours, std::int64_t minutes) {
    return kFirstRunUnixNs + (hours * 3600 + minutes * 60) * kS;
  };
  const auto mono = [](int run) { return kMonotonicBaseNs + run * 7200 * kS; };

  FixtureRuns runs;
  {
    RunPlan plan{.name = "chat c=64 h100",
                 .hw = &h100,
                 .workload = &chat,
                 .labels = {{"hardware", "h100"}, {"site", "lab"}},
                 .config = closed(chat, h100, 64, chat_slo),
                 .slo = slo(chat_slo),
                 .wall_start_unix_ns = at(0, 0),
                 .start_ns = mono(0),
                 .planned_requests = 1500,
                 .full_load_in_flight = 64,
                 .seed = 1001};
    plan.requests = RunClosedLoop(chat, h100, 64, plan.start_ns, plan.seed);
    runs.h100_chat = WriteRun(store, db_path, plan);
  }
  {
    nlohmann::json config = ConfigJson(agentic, h100, "closed_loop", 16, {{"kind", "scenario"}},
                                       agentic_slo, "chat", 120'000);
    RunPlan plan{.name = "agentic 16 agents h100",
                 .hw = &h100,
                 .workload = &agentic,
                 .labels = {{"hardware", "h100"}, {"site", "lab"}},
                 .config = config,
                 .slo = slo(agentic_slo),
                 .wall_start_unix_ns = at(0, 40),
                 .start_ns = mono(1),
                 .planned_requests = 0,
                 .full_load_in_flight = 24,
                 .seed = 1002};
    plan.requests = RunAgents(agentic, h100, 16, plan.start_ns, plan.seed);
    plan.planned_requests = static_cast<std::int64_t>(plan.requests.size());
    runs.h100_agentic = WriteRun(store, db_path, plan);
  }
  {
    nlohmann::json config =
        ConfigJson(burst, h100, "open_loop", std::nullopt,
                   {{"kind", "poisson"}, {"rate_per_s", 10.0}, {"burstiness_cv", 1.0}}, chat_slo,
                   "completions", 10'000);
    RunPlan plan{.name = "chat burst h100 (overloaded)",
                 .hw = &h100,
                 .workload = &burst,
                 .labels = {{"hardware", "h100"}, {"site", "lab"}, {"purpose", "overload"}},
                 .config = config,
                 .slo = slo(chat_slo),
                 .wall_start_unix_ns = at(2, 5),
                 .start_ns = mono(2),
                 .planned_requests = 900,
                 .full_load_in_flight = 96,
                 .seed = 1003};
    plan.requests = RunBurst(burst, h100, plan.start_ns, plan.seed);
    runs.h100_failed_requests = WriteRun(store, db_path, plan);
  }
  {
    RunPlan plan{.name = "chat c=64 ascend",
                 .hw = &ascend,
                 .workload = &chat,
                 .labels = {{"hardware", "ascend"}, {"site", "lab"}},
                 .config = closed(chat, ascend, 64, chat_slo),
                 .slo = slo(chat_slo),
                 .wall_start_unix_ns = at(24, 0),
                 .start_ns = mono(3),
                 .planned_requests = 1500,
                 .full_load_in_flight = 64,
                 .seed = 2001};
    plan.requests = RunClosedLoop(chat, ascend, 64, plan.start_ns, plan.seed);
    runs.ascend_chat = WriteRun(store, db_path, plan);
  }
  {
    nlohmann::json config = ConfigJson(agentic, ascend, "closed_loop", 16, {{"kind", "scenario"}},
                                       agentic_slo, "chat", 120'000);
    RunPlan plan{.name = "agentic 16 agents ascend",
                 .hw = &ascend,
                 .workload = &agentic,
                 .labels = {{"hardware", "ascend"}, {"site", "lab"}},
                 .config = config,
                 .slo = slo(agentic_slo),
                 .wall_start_unix_ns = at(24, 45),
                 .start_ns = mono(4),
                 .planned_requests = 0,
                 .full_load_in_flight = 24,
                 .seed = 2002};
    plan.requests = RunAgents(agentic, ascend, 16, plan.start_ns, plan.seed);
    plan.planned_requests = static_cast<std::int64_t>(plan.requests.size());
    runs.ascend_agentic = WriteRun(store, db_path, plan);
  }
  {
    RunPlan plan{.name = "chat soak c=32 h100",
                 .hw = &h100,
                 .workload = &soak,
                 .labels = {{"hardware", "h100"}, {"site", "lab"}, {"purpose", "soak"}},
                 .config = closed(soak, h100, 32, chat_slo),
                 .slo = slo(chat_slo),
                 .wall_start_unix_ns = at(22 * 24, 0),
                 .start_ns = mono(5),
                 .planned_requests = 5000,
                 .full_load_in_flight = 40,
                 .seed = 3001};
    plan.cut_ns = plan.start_ns + 75 * kS;
    // Only the requests sent before the cut exist yet.
    plan.requests = RunClosedLoop(soak, h100, 32, plan.start_ns, plan.seed, plan.cut_ns);
    runs.running = WriteRun(store, db_path, plan);
  }
  return runs;
}

}  // namespace infermeter::testing
