// `infermeter serve --model tiny --port 0` end to end, driven by the real `curl` CLI: streaming
// and non-streaming completions (token-id and text prompts) and chat completions, vLLM's
// extensions (ignore_eos, min_tokens, return_token_ids, continuous usage), every error with its
// status and OpenAI-style JSON, /v1/models, /health, /metrics read by our own Prometheus parser
// and server-metrics mapping (detected as vLLM, counters equal to what the requests did), a
// client that hangs up mid-stream (cancelled in the engine), 300 concurrent streams, and a clean
// exit on SIGTERM.

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "infermeter/collectors/prometheus_text.h"
#include "infermeter/collectors/server_metrics.h"
#include "process.h"

namespace infermeter {
namespace {

using nlohmann::json;
using testing::RunProcess;
using testing::ShellQuote;

// `infermeter serve` as a child process; the port comes from its first stdout line.
class ServerProcess {
 public:
  explicit ServerProcess(const std::vector<std::string>& extra_args = {}) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> args = {INFERMETER_BIN, "serve", "--model",   "tiny",
                                     "--port",       "0",     "--threads", "1"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    stdout_ = out[0];
    first_line_ = ReadLine(std::chrono::seconds(120));
    const auto at = first_line_.find("http://127.0.0.1:");
    if (at == std::string::npos) throw std::runtime_error("unexpected first line: " + first_line_);
    port_ = std::stoi(first_line_.substr(at + 17));
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) close(stdout_);
  }

  // SIGTERM, then the exit code (-1 if it did not exit within `limit` or died of a signal).
  int Terminate(std::chrono::seconds limit = std::chrono::seconds(30)) {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  const std::string& first_line() const { return first_line_; }
  // Whatever the server printed on stdout after its first line (should be nothing).
  std::string RestOfStdout() {
    std::string rest;
    char buffer[256];
    pollfd p{stdout_, POLLIN, 0};
    while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
      const ssize_t n = read(stdout_, buffer, sizeof buffer);
      if (n <= 0) break;
      rest.append(buffer, static_cast<std::size_t>(n));
    }
    return rest;
  }

 private:
  std::string ReadLine(std::chrono::seconds limit) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(stdout_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    throw std::runtime_error("no first line from infermeter serve: '" + line + "'");
  }

  pid_t pid_ = -1;
  int stdout_ = -1;
  int port_ = 0;
  std::string first_line_;
};

struct Http {
  int status = 0;
  std::string body;
  json Json() const { return json::parse(body); }
};

// Runs curl with `args`; the status code comes from -w.
Http Curl(const std::string& args) {
  const auto r = RunProcess("curl -sS -N -w '\\n%{http_code}' " + args);
  Http http;
  const auto newline = r.out.rfind('\n');
  if (newline == std::string::npos) {
    ADD_FAILURE() << "curl printed no status: " << r.out << r.err;
    return http;
  }
  http.status = std::stoi(r.out.substr(newline + 1));
  http.body = r.out.substr(0, newline);
  return http;
}

Http Post(const ServerProcess& server, const std::string& path, const std::string& body,
          const std::string& extra = "") {
  return Curl("-H 'Content-Type: application/json' " + extra + " --data-binary " +
              ShellQuote(body) + " " + ShellQuote(server.Url(path)));
}

// The data of each event of an SSE body, in order.
std::vector<std::string> Events(const std::string& body) {
  std::vector<std::string> events;
  std::size_t at = 0;
  while (at < body.size()) {
    const auto end = body.find("\n\n", at);
    const std::string event = body.substr(at, end - at);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    events.push_back(event.substr(6));
    if (end == std::string::npos) break;
    at = end + 2;
  }
  return events;
}

// What a stream said, put together.
struct Stream {
  std::string text;
  std::vector<int> token_ids;
  std::vector<int> prompt_token_ids;
  std::string finish_reason;
  std::optional<json> usage;  // of the final usage chunk
  std::vector<json> chunks;
  bool done = false;
};

Stream ReadStream(const std::string& body, bool chat) {
  Stream s;
  for (const auto& data : Events(body)) {
    EXPECT_FALSE(s.done) << "data after [DONE]: " << data;
    if (data == "[DONE]") {
      s.done = true;
      continue;
    }
    const json chunk = json::parse(data);
    s.chunks.push_back(chunk);
    if (chunk["choices"].empty()) {
      s.usage = chunk["usage"];
      continue;
    }
    const json& choice = chunk["choices"][0];
    s.text += chat ? choice["delta"].value("content", "") : choice["text"].get<std::string>();
    if (choice.contains("token_ids")) {
      for (const auto& id : choice["token_ids"]) s.token_ids.push_back(id);
    }
    if (choice.contains("prompt_token_ids")) {
      s.prompt_token_ids = choice["prompt_token_ids"].get<std::vector<int>>();
    }
    if (chunk.contains("prompt_token_ids")) {
      s.prompt_token_ids = chunk["prompt_token_ids"].get<std::vector<int>>();
    }
    if (!choice["finish_reason"].is_null()) s.finish_reason = choice["finish_reason"];
  }
  return s;
}

bool Printable(const std::string& text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void ExpectError(const Http& http, int status, const std::string& code,
                 const std::string& message_part = "") {
  EXPECT_EQ(http.status, status) << http.body;
  const json j = json::parse(http.body);
  ASSERT_TRUE(j.contains("error")) << http.body;
  const json& e = j["error"];
  EXPECT_TRUE(e["message"].is_string()) << http.body;
  EXPECT_EQ(e["type"], status >= 500 ? "server_error" : "invalid_request_error") << http.body;
  EXPECT_TRUE(e.contains("param")) << http.body;
  if (code.empty()) {
    EXPECT_TRUE(e.contains("code")) << http.body;
  } else {
    EXPECT_EQ(e["code"], code) << http.body;
  }
  if (!message_part.empty()) {
    EXPECT_NE(e["message"].get<std::string>().find(message_part), std::string::npos) << http.body;
  }
}

std::string IdList(int first, int count) {
  std::string out = "[";
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ',';
    out += std::to_string(first + i);
  }
  return out + "]";
}

class ServeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = std::make_unique<ServerProcess>(); }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->Terminate(), 0);
    server_.reset();
  }
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> ServeCli::server_;

TEST_F(ServeCli, PrintsOneLineWithPortAndModel) {
  EXPECT_NE(server_->first_line().find("infermeter serve: listening on http://127.0.0.1:"),
            std::string::npos);
  EXPECT_NE(server_->first_line().find("(model tiny)"), std::string::npos);
}

TEST_F(ServeCli, StreamingCompletionWithTokenIdsIsExact) {
  const Http http = Post(*server_, "/v1/completions",
                         R"({"model":"tiny","prompt":)" + IdList(100, 20) +
                             R"(,"max_tokens":12,"ignore_eos":true,"stream":true,
        "return_token_ids":true,"stream_options":{"include_usage":true}})");
  ASSERT_EQ(http.status, 200) << http.body;
  const Stream s = ReadStream(http.body, false);
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.text.size(), 12u) << s.text;
  EXPECT_TRUE(Printable(s.text)) << s.text;
  EXPECT_EQ(s.token_ids.size(), 12u);
  EXPECT_EQ(json(s.prompt_token_ids), json::parse(IdList(100, 20)));
  EXPECT_EQ(s.finish_reason, "length");
  ASSERT_TRUE(s.usage);
  EXPECT_EQ((*s.usage)["prompt_tokens"], 20);
  EXPECT_EQ((*s.usage)["completion_tokens"], 12);
  EXPECT_EQ((*s.usage)["total_tokens"], 32);
  EXPECT_TRUE((*s.usage)["prompt_tokens_details"]["cached_tokens"].is_number_integer());
  // Each generated id's text is its byte when printable (token text rule, docs/SERVE.md).
  for (std::size_t i = 0; i < s.token_ids.size(); ++i) {
    const int byte = s.token_ids[i] - 3;
    if (byte >= 0x20 && byte <= 0x7e) {
      EXPECT_EQ(s.text[i], static_cast<char>(byte));
    }
  }
  for (const auto& chunk : s.chunks) EXPECT_EQ(chunk["object"], "text_completion");
}

TEST_F(ServeCli, StreamingCompletionTextPromptWithContinuousUsage) {
  const Http http = Post(*server_, "/v1/completions",
                         R"({"model":"tiny","prompt":"hello world","max_tokens":5,
        "min_tokens":5,"stream":true,"temperature":0,
        "stream_options":{"include_usage":true,"continuous_usage_stats":true}})",
                         "-H 'X-Session-ID: s-1'");
  ASSERT_EQ(http.status, 200) << http.body;
  const Stream s = ReadStream(http.body, false);
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.text.size(), 5u);
  ASSERT_TRUE(s.usage);
  EXPECT_EQ((*s.usage)["prompt_tokens"], 11);
  EXPECT_EQ((*s.usage)["completion_tokens"], 5);
  // continuous_usage_stats: every chunk with choices carries the usage so far.
  std::int64_t previous = 0;
  for (const auto& chunk : s.chunks) {
    ASSERT_TRUE(chunk.contains("usage")) << chunk.dump();
    EXPECT_GE(chunk["usage"]["completion_tokens"].get<std::int64_t>(), previous);
    previous = chunk["usage"]["completion_tokens"];
  }
}

TEST_F(ServeCli, ChatStreamingStartsRoleOnlyAndCountsTheTemplate) {
  const Http http = Post(*server_, "/v1/chat/completions",
                         R"({"model":"tiny","messages":[{"role":"system","content":"Be brief."},
        {"role":"user","content":"Hi"}],"max_completion_tokens":6,"ignore_eos":true,
        "stream":true,"stream_options":{"include_usage":true}})",
                         "-H 'x-session-id: chat-1'");
  ASSERT_EQ(http.status, 200) << http.body;
  const Stream s = ReadStream(http.body, true);
  ASSERT_GE(s.chunks.size(), 3u);
  EXPECT_EQ(s.chunks[0]["choices"][0]["delta"],
            json::parse(R"({"role":"assistant","content":""})"));
  EXPECT_EQ(s.chunks[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(s.text.size(), 6u);
  EXPECT_EQ(s.finish_reason, "length");
  ASSERT_TRUE(s.usage);
  const std::string prompt = "<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\n";
  EXPECT_EQ((*s.usage)["prompt_tokens"], prompt.size());
  EXPECT_EQ((*s.usage)["completion_tokens"], 6);
  EXPECT_TRUE(s.done);
}

TEST_F(ServeCli, NonStreamingChatAndCompletion) {
  Http http = Post(*server_, "/v1/chat/completions",
                   R"({"model":"tiny","messages":[{"role":"user","content":[
        {"type":"text","text":"abc"}]}],"max_tokens":4,"ignore_eos":true})");
  ASSERT_EQ(http.status, 200) << http.body;
  json j = http.Json();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "tiny");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["message"]["content"].get<std::string>().size(), 4u);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 4);
  EXPECT_EQ(j["usage"]["prompt_tokens"], std::string("<|user|>\nabc\n<|assistant|>\n").size());

  http = Post(*server_, "/v1/completions",
              R"({"model":"tiny","prompt":[[7,8,9]],"max_tokens":3,"ignore_eos":true,
                  "return_token_ids":true,"seed":1,"temperature":0.7})");
  ASSERT_EQ(http.status, 200) << http.body;
  j = http.Json();
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"].get<std::string>().size(), 3u);
  EXPECT_EQ(j["choices"][0]["token_ids"].size(), 3u);
  EXPECT_EQ(j["choices"][0]["prompt_token_ids"], json::parse("[7,8,9]"));
  EXPECT_EQ(j["usage"]["prompt_tokens"], 3);
  EXPECT_EQ(j["usage"]["total_tokens"], 6);
}

TEST_F(ServeCli, ErrorsHaveStatusAndOpenAiShape) {
  ExpectError(Post(*server_, "/v1/completions", R"({"model":"tiny","prompt":[5],})"), 400,
              "invalid_json", "at byte 30");
  ExpectError(
      Post(*server_, "/v1/completions", R"({"model":"tiny","prompt":[5],"max_tokens":"x"})"), 400,
      "invalid_type", "max_tokens");
  ExpectError(Post(*server_, "/v1/completions", R"({"model":"gpt-4","prompt":[5]})"), 404,
              "model_not_found", "gpt-4");
  ExpectError(Post(*server_, "/v1/completions", R"({"model":"tiny","prompt":["a","b"]})"), 400,
              "unsupported_value", "batched");
  ExpectError(Post(*server_, "/v1/completions", R"({"model":"tiny","prompt":[5],"n":2})"), 400,
              "unsupported_value", "'n'");
  ExpectError(Post(*server_, "/v1/completions", R"({"model":"tiny","prompt":[5000]})"), 400,
              "invalid_value", "vocabulary");
  ExpectError(
      Post(*server_, "/v1/completions", R"({"model":"tiny","prompt":[5],"max_tokens":2000000})"),
      400, "context_length_exceeded", "maximum context length is 1048576");
  ExpectError(Post(*server_, "/v1/chat/completions", R"({"model":"tiny","messages":[]})"), 400,
              "invalid_value", "messages");
  ExpectError(Post(*server_, "/v1/chat/completions",
                   R"({"model":"tiny","messages":[{"role":"user","content":"x"}],"stream":"yes"})"),
              400, "invalid_type", "stream");
  ExpectError(Curl(ShellQuote(server_->Url("/v1/nothing"))), 404, "unknown_url", "/v1/nothing");
  ExpectError(Post(*server_, "/v2/completions", "{}"), 404, "unknown_url");
  ExpectError(Curl(ShellQuote(server_->Url("/v1/completions"))), 405, "method_not_allowed", "GET");
  ExpectError(Curl("-X DELETE " + ShellQuote(server_->Url("/v1/models"))), 405,
              "method_not_allowed");
  // The connection stays usable after an error: two requests on one curl connection.
  const auto r =
      RunProcess("curl -sS -o /dev/null -w '%{http_code} ' --data-binary x " +
                 ShellQuote(server_->Url("/v1/models")) + " --next -o /dev/null " +
                 "-w '%{http_code} %{num_connects}' " + ShellQuote(server_->Url("/health")));
  EXPECT_EQ(r.out, "405 200 0") << r.err;  // no new connection for the second
}

TEST_F(ServeCli, ModelsAndHealth) {
  const Http models = Curl(ShellQuote(server_->Url("/v1/models")));
  ASSERT_EQ(models.status, 200);
  const json j = models.Json();
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["id"], "tiny");
  EXPECT_EQ(j["data"][0]["object"], "model");
  EXPECT_EQ(j["data"][0]["max_model_len"], 1048576);
  const Http health = Curl(ShellQuote(server_->Url("/health")));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "");
}

TEST_F(ServeCli, ThreeHundredConcurrentStreams) {
  constexpr int kRequests = 300;
  constexpr int kOutput = 8;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("infermeter-serve-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream config(dir / "curl.cfg");
  for (int i = 0; i < kRequests; ++i) {
    const std::string body_file = (dir / ("body" + std::to_string(i) + ".json")).string();
    std::ofstream(body_file) << R"({"model":"tiny","prompt":)" << IdList(10 + i, 16 + i % 7)
                             << R"(,"max_tokens":)" << kOutput
                             << R"(,"ignore_eos":true,"stream":true,
          "stream_options":{"include_usage":true}})";
    if (i > 0) config << "next\n";  // separates transfers; a trailing one would be empty
    config << "url = \"" << server_->Url("/v1/completions") << "\"\n"
           << "header = \"Content-Type: application/json\"\n"
           << "data-binary = \"@" << body_file << "\"\n"
           << "output = \"" << (dir / ("out" + std::to_string(i) + ".txt")).string() << "\"\n";
  }
  config.close();
  const auto started = std::chrono::steady_clock::now();
  const auto r = RunProcess(
      "curl -sS -N --no-progress-meter --parallel --parallel-immediate --parallel-max 300 -K " +
      ShellQuote((dir / "curl.cfg").string()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int complete = 0;
  for (int i = 0; i < kRequests; ++i) {
    std::ifstream in(dir / ("out" + std::to_string(i) + ".txt"));
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const Stream s = ReadStream(body, false);
    EXPECT_TRUE(s.done) << i;
    EXPECT_EQ(s.text.size(), static_cast<std::size_t>(kOutput)) << i;
    ASSERT_TRUE(s.usage) << i << ": " << body;
    EXPECT_EQ((*s.usage)["prompt_tokens"], 16 + i % 7) << i;
    EXPECT_EQ((*s.usage)["completion_tokens"], kOutput) << i;
    complete += s.done && s.usage ? 1 : 0;
  }
  EXPECT_EQ(complete, kRequests);
  std::filesystem::remove_all(dir);
  std::cerr << "300 concurrent streams of " << kOutput << " tokens: " << seconds << " s\n";
}

// A server of its own, so that its counters hold exactly these requests.
TEST(ServeCliMetrics, CountersMatchTheRequestsAndHangUpsAreCancelled) {
  ServerProcess server({"--served-model-name", "my-model"});
  const std::vector<int> prompts = {30, 50, 70};
  const int output = 5;
  std::int64_t prompt_sum = 0;
  for (const int p : prompts) {
    const Http http =
        Post(server, "/v1/completions",
             R"({"model":"my-model","prompt":)" + IdList(200, p) + R"(,"max_tokens":)" +
                 std::to_string(output) + R"(,"ignore_eos":true})");
    ASSERT_EQ(http.status, 200) << http.body;
    prompt_sum += p;
  }
  const auto scrape_now = [&] {
    const Http http = Curl(ShellQuote(server.Url("/metrics")));
    EXPECT_EQ(http.status, 200);
    return collectors::ParsePrometheusText(http.body, server.Url("/metrics"));
  };
  auto scrape = scrape_now();
  ASSERT_EQ(collectors::DetectServer(scrape), collectors::ServerKind::kVllm);
  auto m = collectors::NormalizeServerMetrics(scrape);
  ASSERT_TRUE(m.prompt_tokens_total && m.generation_tokens_total && m.running_requests &&
              m.waiting_requests && m.kv_usage_ratio && m.kv_capacity_tokens && m.kv_used_tokens &&
              m.prefix_cache_hits_total && m.prefix_cache_queries_total && m.preemptions_total);
  EXPECT_DOUBLE_EQ(m.prompt_tokens_total->value, static_cast<double>(prompt_sum));
  EXPECT_DOUBLE_EQ(m.generation_tokens_total->value, static_cast<double>(output * 3));
  EXPECT_DOUBLE_EQ(m.running_requests->value, 0);
  EXPECT_DOUBLE_EQ(m.waiting_requests->value, 0);
  EXPECT_DOUBLE_EQ(m.preemptions_total->value, 0);
  EXPECT_GE(m.prefix_cache_queries_total->value, m.prefix_cache_hits_total->value);
  EXPECT_GT(m.kv_capacity_tokens->value, 0);
  EXPECT_GE(m.kv_usage_ratio->value, 0);
  EXPECT_LE(m.kv_usage_ratio->value, 1);
  EXPECT_TRUE(m.notes.empty());
  const auto value = [&](const char* family_name, const char* sample_name,
                         const std::string& reason = "") {
    const auto* family = scrape.Find(family_name);
    EXPECT_NE(family, nullptr) << family_name;
    double total = 0;
    for (const auto& s : family->samples) {
      EXPECT_EQ(s.Label("model_name"), "my-model");
      if (s.name == sample_name && (reason.empty() || s.Label("finished_reason") == reason)) {
        total += s.value;
      }
    }
    return total;
  };
  EXPECT_DOUBLE_EQ(value("vllm:request_success_total", "vllm:request_success_total", "length"), 3);
  EXPECT_DOUBLE_EQ(value("vllm:request_success_total", "vllm:request_success_total", "abort"), 0);
  EXPECT_DOUBLE_EQ(
      value("vllm:time_to_first_token_seconds", "vllm:time_to_first_token_seconds_count"), 3);
  EXPECT_DOUBLE_EQ(
      value("vllm:e2e_request_latency_seconds", "vllm:e2e_request_latency_seconds_count"), 3);
  EXPECT_DOUBLE_EQ(
      value("vllm:inter_token_latency_seconds", "vllm:inter_token_latency_seconds_count"),
      3 * (output - 1));
  EXPECT_DOUBLE_EQ(value("vllm:request_prompt_tokens", "vllm:request_prompt_tokens_sum"),
                   static_cast<double>(prompt_sum));
  EXPECT_DOUBLE_EQ(value("vllm:request_generation_tokens", "vllm:request_generation_tokens_sum"),
                   3 * output);

  // A client that hangs up mid-stream: its request is cancelled in the engine (an abort), and
  // nothing keeps running.
  const auto hang_up = RunProcess(
      "curl -sS -N --max-time 1 -o /dev/null -H 'Content-Type: application/json' --data-binary " +
      ShellQuote(R"({"model":"my-model","prompt":[5,6,7],"max_tokens":1000000,"ignore_eos":true,
                     "stream":true})") +
      " " + ShellQuote(server.Url("/v1/completions")));
  EXPECT_EQ(hang_up.exit_code, 28) << hang_up.err;  // curl: operation timed out
  double aborts = 0;
  double running = -1;
  for (int i = 0; i < 100 && (aborts != 1 || running != 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    scrape = scrape_now();
    m = collectors::NormalizeServerMetrics(scrape);
    aborts = value("vllm:request_success_total", "vllm:request_success_total", "abort");
    running = m.running_requests->value;
  }
  EXPECT_EQ(aborts, 1);
  EXPECT_EQ(running, 0);

  // SIGTERM: a clean stop with exit code 0, and nothing on stdout after the first line.
  EXPECT_EQ(server.Terminate(), 0);
  EXPECT_EQ(server.RestOfStdout(), "");
}

}  // namespace
}  // namespace infermeter
