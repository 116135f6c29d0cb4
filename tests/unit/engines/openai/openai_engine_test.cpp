// The OpenAI-compatible client engine against a fault-injection server (fault_server.py, a real
// HTTP server in a child process): what it sends, multi-token chunks, reasoning, usage, and every
// error class with its retry rule. Its happy path against real servers is tested end to end in
// tests/integration (infermeter serve) and tests/peers (llama-cpp-python).

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "background_process.h"
#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "infermeter/engines/openai_engine.h"
#include "recording_sink.h"

namespace infermeter::engines {
namespace {

using testing::BackgroundProcess;
using testing::RecordingSink;

std::string SourceDir() {
  const char* dir = std::getenv("INFERMETER_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

// One fault server for the whole suite.
class FaultServer {
 public:
  FaultServer()
      : port_file_(std::filesystem::temp_directory_path() /
                   ("infermeter-fault-" + std::to_string(getpid()))),
        process_({"python3", SourceDir() + "/tests/unit/engines/openai/fault_server.py",
                  port_file_.string()}) {
    port_ = process_.WaitForFile(port_file_.string(), 10'000);
  }
  ~FaultServer() { std::filesystem::remove(port_file_); }
  std::string url() const { return "http://127.0.0.1:" + port_; }
  bool ok() const { return !port_.empty(); }

 private:
  std::filesystem::path port_file_;
  BackgroundProcess process_;
  std::string port_;
};

FaultServer& Server() {
  static FaultServer server;
  return server;
}

OpenAiEngineOptions Options(const std::string& model, OpenAiApi api = OpenAiApi::kCompletions) {
  OpenAiEngineOptions options;
  options.base_url = Server().url() + "/v1";
  options.model = model;
  options.api = api;
  options.connect_timeout_ms = 2'000;
  options.request_timeout_ms = 10'000;
  return options;
}

EngineRequest Request(std::int64_t id, std::int64_t max_tokens = 8) {
  EngineRequest request;
  request.id = RequestId(id);
  request.prompt_tokens = {11, 12, 13, 14, 15, 16, 17};
  request.max_output_tokens = max_tokens;
  request.ignore_eos = true;
  return request;
}

std::shared_ptr<RecordingSink> RunToEnd(Engine& engine, EngineRequest request) {
  auto sink = std::make_shared<RecordingSink>();
  engine.Submit(std::move(request), sink);
  EXPECT_TRUE(sink->Wait()) << "the request did not end";
  return sink;
}

nlohmann::json Recorded() {
  // The fault server's record of what it received, fetched with the client's own transport
  // would be circular; use the curl CLI.
  const std::string command = "curl -s " + Server().url() + "/requests";
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  std::size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return nlohmann::json::parse(out);
}

class OpenAiEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Server().ok()) << "fault_server.py did not start"; }
};

TEST_F(OpenAiEngineTest, StreamsCompletionsWithTokenIdPromptsAndReportsUsage) {
  auto options = Options("ok");
  options.extra_headers = {"X-Test: yes"};
  options.api_key = "secret-key";
  auto engine = MakeOpenAiEngine(options);
  EngineRequest request = Request(1, 5);
  request.session_id = "session-7";
  const std::int64_t before = MonotonicNs();
  auto sink = RunToEnd(*engine, request);
  ASSERT_TRUE(sink->finish) << (sink->failure ? sink->failure->message : "");
  EXPECT_EQ(sink->chunks.size(), 5U);
  EXPECT_EQ(sink->Tokens(), 5);
  EXPECT_EQ(sink->finish->usage.prompt_tokens, 7);
  EXPECT_EQ(sink->finish->usage.completion_tokens, 5);
  EXPECT_EQ(sink->finish->usage.cached_prompt_tokens, 3);
  EXPECT_EQ(sink->finish->reason, FinishReason::kLength);
  ASSERT_TRUE(sink->finish->connected_ns && sink->finish->first_byte_ns);
  EXPECT_GE(*sink->finish->connected_ns, before);
  EXPECT_GE(*sink->finish->first_byte_ns, *sink->finish->connected_ns);
  EXPECT_LE(*sink->finish->first_byte_ns, sink->chunks.front().engine_time_ns);

  const nlohmann::json sent = Recorded().back();
  EXPECT_EQ(sent["path"], "/v1/completions");
  EXPECT_EQ(sent["body"]["prompt"], nlohmann::json({11, 12, 13, 14, 15, 16, 17}));
  EXPECT_EQ(sent["body"]["max_tokens"], 5);
  EXPECT_EQ(sent["body"]["min_tokens"], 5);
  EXPECT_EQ(sent["body"]["ignore_eos"], true);
  EXPECT_EQ(sent["body"]["stream"], true);
  EXPECT_EQ(sent["body"]["stream_options"]["include_usage"], true);
  EXPECT_EQ(sent["headers"]["X-Session-ID"], "session-7");
  EXPECT_EQ(sent["headers"]["X-Test"], "yes");
  EXPECT_EQ(sent["headers"]["Authorization"], "Bearer secret-key");
  EXPECT_FALSE(sent["headers"].contains("Expect"));
}

TEST_F(OpenAiEngineTest, CountsMultiTokenChunksFromTokenIds) {
  auto engine = MakeOpenAiEngine(Options("multi"));
  auto sink = RunToEnd(*engine, Request(2, 8));
  ASSERT_TRUE(sink->finish);
  EXPECT_EQ(sink->chunks.size(), 4U);
  EXPECT_EQ(sink->chunks.front().token_count, 2);
  EXPECT_EQ(sink->chunks.front().tokens, (std::vector<TokenId>{5, 6}));
  EXPECT_EQ(sink->Tokens(), 8);
}

TEST_F(OpenAiEngineTest, MarksReasoningChunksAndSkipsTheRoleOnlyChunk) {
  auto engine = MakeOpenAiEngine(Options("reasoning", OpenAiApi::kChat));
  auto sink = RunToEnd(*engine, Request(3, 6));
  ASSERT_TRUE(sink->finish);
  ASSERT_EQ(sink->chunks.size(), 6U);
  EXPECT_TRUE(sink->chunks[0].reasoning);
  EXPECT_TRUE(sink->chunks[1].reasoning);
  EXPECT_FALSE(sink->chunks[2].reasoning);
  EXPECT_EQ(Recorded().back()["path"], "/v1/chat/completions");
}

TEST_F(OpenAiEngineTest, ChatSessionsCarryTheirHistoryWithTheServersReplies) {
  auto engine = MakeOpenAiEngine(Options("ok", OpenAiApi::kChat));
  EngineRequest first = Request(4, 3);
  first.session_id = "s1";
  ASSERT_TRUE(RunToEnd(*engine, first)->finish);
  EngineRequest second = Request(5, 2);
  second.session_id = "s1";
  second.prompt_tokens.insert(second.prompt_tokens.end(), {20, 21, 22});
  ASSERT_TRUE(RunToEnd(*engine, second)->finish);
  const nlohmann::json messages = Recorded().back()["body"]["messages"];
  ASSERT_EQ(messages.size(), 3U);
  EXPECT_EQ(messages[0]["role"], "user");
  EXPECT_EQ(messages[1]["role"], "assistant");
  EXPECT_EQ(messages[1]["content"], "aaa");  // the server's reply to the first turn
  EXPECT_EQ(messages[2]["role"], "user");
  EXPECT_EQ(messages[2]["content"].get<std::string>().front(), ' ');
}

struct ErrorCase {
  std::string model;
  std::string error_class;
  std::string message_part;
};

class OpenAiEngineErrorTest : public OpenAiEngineTest,
                              public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(OpenAiEngineErrorTest, ClassifiesTheFailure) {
  auto options = Options(GetParam().model);
  options.idle_timeout_ms = 1'000;
  auto engine = MakeOpenAiEngine(options);
  auto sink = RunToEnd(*engine, Request(10));
  ASSERT_TRUE(sink->failure) << GetParam().model << " did not fail";
  EXPECT_EQ(sink->failure->error_class, GetParam().error_class);
  EXPECT_NE(sink->failure->message.find(GetParam().message_part), std::string::npos)
      << sink->failure->message;
  EXPECT_EQ(sink->ends, 1);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, OpenAiEngineErrorTest,
    ::testing::Values(ErrorCase{"cut", "stream_cut", "inside an event"},
                      ErrorCase{"cut_clean", "stream_cut", "without [DONE]"},
                      ErrorCase{"malformed", "malformed_event", "{not json"},
                      ErrorCase{"error_event", "server_error_event", "out of KV cache"},
                      ErrorCase{"http400", "http_400", "max_tokens is too large"},
                      ErrorCase{"rate_limited_no_header", "http_429", "slow down"},
                      ErrorCase{"not_streamed", "not_streamed", "application/json"},
                      ErrorCase{"silent", "timeout", "sent nothing for 1000 ms"},
                      ErrorCase{"no_such_model", "http_404", "unknown model"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.model; });

TEST_F(OpenAiEngineTest, RetriesA429WithRetryAfterAndThenSucceeds) {
  auto engine = MakeOpenAiEngine(Options("rate_limited"));
  const auto started = std::chrono::steady_clock::now();
  auto sink = RunToEnd(*engine, Request(20, 1));
  ASSERT_TRUE(sink->finish) << (sink->failure ? sink->failure->message : "");
  // Two answers of "Retry-After: 1" were honoured.
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1900));
}

TEST_F(OpenAiEngineTest, RetriesRefusedConnectionsThenSaysHowOftenItTried) {
  auto options = Options("ok");
  options.base_url = "http://127.0.0.1:1";  // nothing listens on port 1
  options.connect_retries = 2;
  auto engine = MakeOpenAiEngine(options);
  auto sink = RunToEnd(*engine, Request(21));
  ASSERT_TRUE(sink->failure);
  EXPECT_EQ(sink->failure->error_class, "connect");
  EXPECT_NE(sink->failure->message.find("after 3 attempts"), std::string::npos)
      << sink->failure->message;
}

TEST_F(OpenAiEngineTest, CancelEndsARunningStreamAsCancelled) {
  auto engine = MakeOpenAiEngine(Options("slow"));
  auto sink = std::make_shared<RecordingSink>();
  engine->Submit(Request(30, 50), sink);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  engine->Cancel(RequestId(30));
  ASSERT_TRUE(sink->Wait());
  ASSERT_TRUE(sink->finish);
  EXPECT_EQ(sink->finish->reason, FinishReason::kCancelled);
  EXPECT_GE(sink->Tokens(), 1);
  EXPECT_LT(sink->Tokens(), 50);
}

TEST_F(OpenAiEngineTest, ShutdownCancelsWhatIsInFlightAndRefusesLaterRequests) {
  auto engine = MakeOpenAiEngine(Options("slow"));
  auto running = std::make_shared<RecordingSink>();
  engine->Submit(Request(31, 50), running);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  engine->Shutdown();
  ASSERT_TRUE(running->finish);
  EXPECT_EQ(running->finish->reason, FinishReason::kCancelled);
  auto late = std::make_shared<RecordingSink>();
  engine->Submit(Request(32), late);
  ASSERT_TRUE(late->finish);
  EXPECT_EQ(late->finish->reason, FinishReason::kCancelled);
  engine->Shutdown();  // twice is harmless
}

TEST(OpenAiEngineOptionsTest, BadOptionsNameTheOption) {
  OpenAiEngineOptions options;
  options.model = "m";
  options.base_url = "localhost:8000";
  EXPECT_THROW(
      {
        try {
          MakeOpenAiEngine(options);
        } catch (const InputError& e) {
          EXPECT_EQ(e.where().field, "--url");
          throw;
        }
      },
      InputError);
  options.base_url = "http://127.0.0.1:8000";
  options.model = "";
  EXPECT_THROW(MakeOpenAiEngine(options), InputError);
  options.model = "m";
  options.extra_body_json = "[1]";
  EXPECT_THROW(MakeOpenAiEngine(options), InputError);
  options.extra_body_json = "";
  options.extra_headers = {"no colon"};
  EXPECT_THROW(MakeOpenAiEngine(options), InputError);
}

}  // namespace
}  // namespace infermeter::engines
