// StreamReader: a response body, cut anywhere, becomes the same sink calls; the end of the stream
// is judged (done, cut mid-event, cut between events); usage and finish reason come out right.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "openai/stream_reader.h"
#include "recording_sink.h"

namespace infermeter::engines::openai {
namespace {

using testing::RecordingSink;

constexpr std::string_view kChatStream =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hm\"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\"},"
    "\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":4,"
    "\"total_tokens\":16,\"prompt_tokens_details\":{\"cached_tokens\":8},"
    "\"completion_tokens_details\":{\"reasoning_tokens\":1}}}\n\n"
    "data: [DONE]\n\n";

TEST(StreamReaderTest, EverySplitGivesTheSameChunksUsageAndReason) {
  for (std::size_t cut = 0; cut <= kChatStream.size(); ++cut) {
    RecordingSink sink;
    StreamReader reader(RequestId(1), sink, /*keep_reply_text=*/true);
    ASSERT_TRUE(reader.Feed(kChatStream.substr(0, cut), 0));
    ASSERT_TRUE(reader.Feed(kChatStream.substr(cut), 0));
    ASSERT_FALSE(reader.Finish()) << "cut at " << cut;
    ASSERT_EQ(sink.chunks.size(), 3U) << "cut at " << cut;
    EXPECT_TRUE(sink.chunks[0].reasoning);
    EXPECT_FALSE(sink.chunks[1].reasoning);
    EXPECT_EQ(sink.chunks[2].text, " there");
    const EngineUsage usage = reader.Usage(99);
    EXPECT_EQ(usage.prompt_tokens, 12);
    EXPECT_EQ(usage.completion_tokens, 4);
    EXPECT_EQ(usage.cached_prompt_tokens, 8);
    EXPECT_EQ(usage.reasoning_tokens, 1);
    EXPECT_EQ(reader.Reason(4), FinishReason::kStop);
    EXPECT_EQ(reader.reply_text(), "Hi there");
    EXPECT_TRUE(reader.saw_done());
  }
}

TEST(StreamReaderTest, WithoutUsageTheClientsOwnCountsStandIn) {
  RecordingSink sink;
  StreamReader reader(RequestId(2), sink, false);
  ASSERT_TRUE(
      reader.Feed("data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\n"
                  "data: {\"choices\":[{\"index\":0,\"text\":\"b\"}]}\n\n"
                  "data: [DONE]\n\n",
                  0));
  ASSERT_FALSE(reader.Finish());
  const EngineUsage usage = reader.Usage(30);
  EXPECT_EQ(usage.prompt_tokens, 30);
  EXPECT_EQ(usage.completion_tokens, 2);
  EXPECT_EQ(reader.Reason(2), FinishReason::kLength);  // no finish_reason: max reached
  EXPECT_EQ(reader.Reason(5), FinishReason::kStop);
  EXPECT_TRUE(reader.reply_text().empty());  // not kept when not asked for
}

TEST(StreamReaderTest, AnEndWithoutDoneFinishOrUsageIsACut) {
  RecordingSink sink;
  StreamReader reader(RequestId(3), sink, false);
  ASSERT_TRUE(reader.Feed("data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\n", 0));
  const auto failure = reader.Finish();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->error_class, "stream_cut");
  EXPECT_NE(failure->message.find("after 1 chunks (1 tokens)"), std::string::npos)
      << failure->message;
}

TEST(StreamReaderTest, AnEndInsideAnEventIsACut) {
  RecordingSink sink;
  StreamReader reader(RequestId(4), sink, false);
  ASSERT_TRUE(reader.Feed("data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\ndata: {\"ch", 0));
  const auto failure = reader.Finish();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->error_class, "stream_cut");
  EXPECT_NE(failure->message.find("inside an event"), std::string::npos) << failure->message;
}

TEST(StreamReaderTest, ErrorEventsStopTheStream) {
  RecordingSink sink;
  StreamReader reader(RequestId(5), sink, false);
  EXPECT_FALSE(
      reader.Feed("data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\n"
                  "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n"
                  "data: {\"choices\":[{\"index\":0,\"text\":\"b\"}]}\n\n",
                  0));
  EXPECT_EQ(sink.chunks.size(), 1U);  // nothing after the error is reported
  ASSERT_TRUE(reader.failure());
  EXPECT_EQ(reader.failure()->error_class, "server_error_event");
  EXPECT_EQ(reader.failure()->message, "boom (server_error)");
  EXPECT_FALSE(reader.Feed("data: [DONE]\n\n", 0));
}

TEST(StreamReaderTest, MalformedEventsQuoteTheData) {
  RecordingSink sink;
  StreamReader reader(RequestId(6), sink, false);
  EXPECT_FALSE(reader.Feed("data: {\"choices\": [\n\n", 0));
  ASSERT_TRUE(reader.failure());
  EXPECT_EQ(reader.failure()->error_class, "malformed_event");
  EXPECT_NE(reader.failure()->message.find("{\"choices\": ["), std::string::npos)
      << reader.failure()->message;
}

}  // namespace
}  // namespace infermeter::engines::openai
