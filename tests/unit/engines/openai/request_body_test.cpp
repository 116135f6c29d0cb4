// Request bodies: what the client sends for each API and option, checked by parsing them back.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "infermeter/core/error.h"
#include "openai/chat_history.h"
#include "openai/prompt_text.h"
#include "openai/request_body.h"

namespace infermeter::engines::openai {
namespace {

EngineRequest Request() {
  EngineRequest request;
  request.id = RequestId(1);
  request.prompt_tokens = {5, 6, 7};
  request.max_output_tokens = 12;
  request.ignore_eos = true;
  return request;
}

TEST(RequestBodyTest, CompletionsWithTokenIdsAndExactLengths) {
  const BodySettings settings{
      .model = "m\"x", .return_token_ids = true, .continuous_usage_stats = true};
  const auto body = nlohmann::json::parse(CompletionsBody(settings, Request(), nullptr));
  EXPECT_EQ(body["model"], "m\"x");
  EXPECT_EQ(body["prompt"], nlohmann::json({5, 6, 7}));
  EXPECT_EQ(body["max_tokens"], 12);
  EXPECT_EQ(body["min_tokens"], 12);
  EXPECT_EQ(body["ignore_eos"], true);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["stream_options"]["continuous_usage_stats"], true);
  EXPECT_EQ(body["return_token_ids"], true);
  EXPECT_EQ(body["temperature"], 0);
  EXPECT_FALSE(body.contains("seed"));  // greedy: a seed means nothing
}

TEST(RequestBodyTest, TextPromptsAndNoExtensionsWhenSwitchedOff) {
  const BodySettings settings{.model = "m", .exact_output_lengths = false};
  EngineRequest request = Request();
  request.sampling.temperature = 0.7;
  request.sampling.seed = 42;
  const std::string text = "héllo \"quoted\"\n";
  const auto body = nlohmann::json::parse(CompletionsBody(settings, request, &text));
  EXPECT_EQ(body["prompt"], text);
  EXPECT_FALSE(body.contains("ignore_eos"));
  EXPECT_FALSE(body.contains("min_tokens"));
  EXPECT_FALSE(body.contains("return_token_ids"));
  EXPECT_EQ(body["seed"], 42);
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.7);
}

TEST(RequestBodyTest, ExtraBodyMembersComeLastAndMustBeAnObject) {
  const BodySettings settings{.model = "m",
                              .extra_members = ExtraBodyMembers(R"({"top_k": 1, "x": [1]})", "f")};
  const auto body = nlohmann::json::parse(CompletionsBody(settings, Request(), nullptr));
  EXPECT_EQ(body["top_k"], 1);
  EXPECT_EQ(body["x"], nlohmann::json({1}));
  EXPECT_EQ(ExtraBodyMembers("", "f"), "");
  EXPECT_EQ(ExtraBodyMembers("{}", "f"), "");
  EXPECT_THROW(ExtraBodyMembers("[1]", "--extra-body"), InputError);
  EXPECT_THROW(ExtraBodyMembers("{", "--extra-body"), InputError);
}

TEST(RequestBodyTest, ChatBodiesCarryTheMessagesInOrder) {
  const std::vector<ChatMessage> messages = {
      {"user", "one"}, {"assistant", "two"}, {"user", "three"}};
  const auto body = nlohmann::json::parse(ChatBody({.model = "m"}, Request(), messages));
  ASSERT_EQ(body["messages"].size(), 3U);
  EXPECT_EQ(body["messages"][1]["role"], "assistant");
  EXPECT_EQ(body["messages"][2]["content"], "three");
  EXPECT_FALSE(body.contains("prompt"));
}

TEST(PromptTextTest, SameIdsSameTextAndOneCharacterPerIdForBytes) {
  std::string words;
  std::string again;
  std::string bytes;
  const std::vector<TokenId> ids = {0, 1, 255, 256, 100000};
  AppendPromptText(ids, PromptText::kWords, words);
  AppendPromptText(ids, PromptText::kWords, again);
  AppendPromptText(ids, PromptText::kBytes, bytes);
  EXPECT_EQ(words, again);
  EXPECT_EQ(words.substr(0, 7), " the of");
  EXPECT_EQ(bytes.size(), ids.size());
  for (const char c : bytes) EXPECT_TRUE(c > ' ' && c < 127);
}

TEST(ChatHistoryTest, ATurnThatExtendsThePreviousOneContinuesTheConversation) {
  ChatHistories histories(PromptText::kBytes);
  EngineRequest first = Request();
  first.session_id = "s";
  EXPECT_EQ(histories.MessagesFor(first).size(), 1U);
  histories.RecordReply("s", first.id, "reply");
  EngineRequest second = Request();
  second.id = RequestId(2);
  second.session_id = "s";
  second.prompt_tokens = {5, 6, 7, 8, 9};
  const auto messages = histories.MessagesFor(second);
  ASSERT_EQ(messages.size(), 3U);
  EXPECT_EQ(messages[1].content, "reply");
  EXPECT_EQ(messages[2].content.size(), 2U);  // only the new ids
  // A prompt that does not extend the last one starts over.
  EngineRequest other = Request();
  other.id = RequestId(3);
  other.session_id = "s";
  other.prompt_tokens = {9, 9};
  EXPECT_EQ(histories.MessagesFor(other).size(), 1U);
  // A stale reply (not the session's latest turn) is dropped.
  histories.RecordReply("s", second.id, "late");
  EngineRequest next = other;
  next.id = RequestId(4);
  next.prompt_tokens = {9, 9, 1};
  EXPECT_EQ(histories.MessagesFor(next).size(), 2U);
}

}  // namespace
}  // namespace infermeter::engines::openai
