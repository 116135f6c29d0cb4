// Chunk and response JSON of `infermeter serve`: each event parses as JSON and has the shape
// OpenAI clients and vLLM-aware tools read (role-only first chat chunk, token_ids,
// prompt_token_ids, continuous usage, the usage chunk, [DONE]); and the error body.

#include "serve/response_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serve/api_error.h"

namespace infermeter::engines::serve {
namespace {

using nlohmann::json;

// The JSON of one "data: ...\n\n" event.
json Data(const std::string& event) {
  EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
  EXPECT_EQ(event.substr(event.size() - 2), "\n\n") << event;
  return json::parse(event.substr(6, event.size() - 8));
}

const std::vector<TokenId> kPrompt = {10, 11, 12};

TEST(ServeResponseWriter, CompletionStream) {
  ResponseWriter w(Endpoint::kCompletions, "cmpl-1", 1700000000, "tiny", true, true);
  EXPECT_EQ(w.StreamStart(kPrompt), "");
  const std::vector<TokenId> ids = {3 + 'x'};
  const json first = Data(w.TokenEvent("x", ids, kPrompt, {3, 1, 0}));
  EXPECT_EQ(first["object"], "text_completion");
  EXPECT_EQ(first["id"], "cmpl-1");
  EXPECT_EQ(first["created"], 1700000000);
  EXPECT_EQ(first["model"], "tiny");
  EXPECT_EQ(first["choices"][0]["text"], "x");
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(first["choices"][0]["token_ids"], json(ids));
  EXPECT_EQ(first["choices"][0]["prompt_token_ids"], json(kPrompt));
  EXPECT_EQ(first["usage"]["completion_tokens"], 1);
  EXPECT_EQ(first["usage"]["total_tokens"], 4);
  const json second = Data(w.TokenEvent("\"", ids, kPrompt, {3, 2, 0}));
  EXPECT_EQ(second["choices"][0]["text"], "\"");
  EXPECT_FALSE(second["choices"][0].contains("prompt_token_ids"));
  const json finish = Data(w.FinishEvent(FinishReason::kLength, {3, 2, 1}));
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(finish["choices"][0]["text"], "");
  const json usage = Data(w.UsageEvent({3, 2, 1}));
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"],
            json::parse(R"({"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,
                            "prompt_tokens_details":{"cached_tokens":1}})"));
  EXPECT_EQ(ResponseWriter::DoneEvent(), "data: [DONE]\n\n");
}

TEST(ServeResponseWriter, ChatStreamStartsWithRoleOnly) {
  ResponseWriter w(Endpoint::kChat, "chatcmpl-1", 1, "m\"q", true, false);
  const json start = Data(w.StreamStart(kPrompt));
  EXPECT_EQ(start["object"], "chat.completion.chunk");
  EXPECT_EQ(start["model"], "m\"q");
  EXPECT_EQ(start["choices"][0]["delta"], json::parse(R"({"role":"assistant","content":""})"));
  EXPECT_EQ(start["prompt_token_ids"], json(kPrompt));
  const std::vector<TokenId> ids = {3 + 'a', 3 + 'b'};
  const json token = Data(w.TokenEvent("ab", ids, kPrompt, {}));
  EXPECT_EQ(token["choices"][0]["delta"]["content"], "ab");
  EXPECT_EQ(token["choices"][0]["token_ids"], json(ids));
  EXPECT_FALSE(token.contains("usage"));
  EXPECT_FALSE(token.contains("prompt_token_ids"));
  const json finish = Data(w.FinishEvent(FinishReason::kStop, {}));
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(finish["choices"][0]["delta"], json::object());
}

TEST(ServeResponseWriter, NonStreamingResponses) {
  const std::vector<TokenId> ids = {3 + 'o', 3 + 'k'};
  ResponseWriter completion(Endpoint::kCompletions, "cmpl-2", 5, "tiny", true, false);
  const json c =
      json::parse(completion.FullResponse("ok", ids, kPrompt, FinishReason::kLength, {3, 2, 0}));
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(c["choices"][0]["text"], "ok");
  EXPECT_EQ(c["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(c["choices"][0]["token_ids"], json(ids));
  EXPECT_EQ(c["choices"][0]["prompt_token_ids"], json(kPrompt));
  EXPECT_EQ(c["usage"]["total_tokens"], 5);

  ResponseWriter chat(Endpoint::kChat, "chatcmpl-2", 5, "tiny", false, false);
  const json h = json::parse(chat.FullResponse("ok", ids, kPrompt, FinishReason::kStop, {3, 2, 0}));
  EXPECT_EQ(h["object"], "chat.completion");
  EXPECT_EQ(h["choices"][0]["message"], json::parse(R"({"role":"assistant","content":"ok"})"));
  EXPECT_FALSE(h["choices"][0].contains("token_ids"));
  EXPECT_EQ(h["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
}

TEST(ServeResponseWriter, JsonStringEscapes) {
  EXPECT_EQ(json::parse(JsonString("a\"b\\c\nd\x01")), "a\"b\\c\nd\x01");
}

TEST(ServeApiError, OpenAiShape) {
  const json e = json::parse(ErrorJson({.status = 404,
                                        .message = "The model `x` does not exist",
                                        .param = "model",
                                        .code = "model_not_found"}));
  EXPECT_EQ(e, json::parse(R"({"error":{"message":"The model `x` does not exist",
      "type":"invalid_request_error","param":"model","code":"model_not_found"}})"));
  const json s = json::parse(ErrorJson({.status = 500, .message = "boom"}));
  EXPECT_EQ(s["error"]["type"], "server_error");
  EXPECT_TRUE(s["error"]["param"].is_null());
  EXPECT_TRUE(s["error"]["code"].is_null());
}

}  // namespace
}  // namespace infermeter::engines::serve
