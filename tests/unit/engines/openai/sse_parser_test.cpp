// The SSE parser: the WHATWG event-stream rules, real servers' framing, streams cut at every
// byte, the size limit, the end of a stream, and no allocations per event in the steady state.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "openai/sse_parser.h"

// Counts every allocation made through operator new in this test binary, so that tests can show
// that the steady state allocates nothing.
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

// Out of line, so that the compiler does not pair an inlined malloc/free with new/delete
// expressions (GCC's -Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) { return ::operator new(size); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace infermeter::engines::openai::testing {

std::uint64_t AllocationCount() { return g_allocations.load(std::memory_order_relaxed); }

namespace {

struct Event {
  std::string type;
  std::string data;
  std::string id;
  bool operator==(const Event&) const = default;
};

void PrintTo(const Event& e, std::ostream* os) {
  *os << "{type='" << e.type << "' data='" << e.data << "' id='" << e.id << "'}";
}

struct Parsed {
  std::vector<Event> events;
  SseStreamEnd end;
  bool ok = true;
};

// Feeds `stream` cut at the given positions (ascending), then finishes it.
Parsed ParseSlices(std::string_view stream, const std::vector<std::size_t>& cuts,
                   SseParserOptions options = {}) {
  SseParser parser(options);
  Parsed parsed;
  const auto on_event = [&](const SseEvent& e) {
    parsed.events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
  };
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    parsed.ok = parser.Feed(stream.substr(from, cut - from), on_event) && parsed.ok;
    from = cut;
  }
  parsed.ok = parser.Feed(stream.substr(from), on_event) && parsed.ok;
  parsed.end = parser.Finish();
  return parsed;
}

Parsed Parse(std::string_view stream, SseParserOptions options = {}) {
  return ParseSlices(stream, {}, options);
}

std::vector<Event> Events(std::string_view stream) { return Parse(stream).events; }

// "data: aaa...\n\n" with `size` bytes of data.
std::string DataEvent(std::size_t size) {
  std::string event = "data: ";
  event.append(size, 'a');
  event.append("\n\n");
  return event;
}

std::string Replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  std::size_t i = 0;
  for (std::size_t hit; (hit = text.find(from, i)) != std::string_view::npos;
       i = hit + from.size()) {
    out.append(text.substr(i, hit - i));
    out.append(to);
  }
  out.append(text.substr(i));
  return out;
}

// ---- Real servers' framing (payloads shortened; chunk_decoder_test has complete ones) ----------

// vLLM (FastAPI StreamingResponse): "data: <json>\n\n", ends with "data: [DONE]\n\n".
constexpr std::string_view kVllmStream =
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Gr\xc3\xbc"
    "\xc3\x9f \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
    "\"completion_tokens\":2}}\n\n"
    "data: [DONE]\n\n";

// sse-starlette (used by several Python servers): CRLF line ends and "ping" comments.
constexpr std::string_view kStarletteStream =
    ": ping - 2025-01-01 00:00:00.000000+00:00\r\n\r\n"
    "data: {\"choices\":[{\"index\":0,\"text\":\" Paris\"}]}\r\n\r\n"
    ": ping - 2025-01-01 00:00:15.000000+00:00\r\n\r\n"
    "data: [DONE]\r\n\r\n";

// TGI (axum): keep-alive ":\n\n" between events.
constexpr std::string_view kTgiStream =
    "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
    "\"assistant\",\"content\":\"Hi\"}}]}\n\n"
    ":\n\n"
    "data: [DONE]\n\n";

// The Responses API style: named events with ids and a retry hint.
constexpr std::string_view kNamedEventsStream =
    "retry: 3000\n"
    "event: response.created\nid: 1\ndata: {\"type\":\"response.created\"}\n\n"
    "event: response.output_text.delta\nid: 2\ndata: {\"delta\":\"Hel\"}\n\n"
    "data: {\"delta\":\"lo\"}\n\n"
    "event: response.completed\nid: 3\ndata: {\"type\":\"response.completed\"}\n\n";

// Older llama.cpp server: an `error:` line instead of data.
constexpr std::string_view kLlamaCppErrorStream =
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"A\"}}]}\n\n"
    "error: {\"code\":500,\"message\":\"slot unavailable\",\"type\":\"server_error\"}\n\n";

// A multi-line data event (the spec's example) and an event split into several data lines.
constexpr std::string_view kMultiLineStream =
    "data: YHOO\ndata: +2\ndata: 10\n\n"
    "data: {\"choices\":\ndata: [{\"index\":0,\"text\":\"x\"}]}\n\n";

const std::vector<std::string_view>& Fixtures() {
  static const std::vector<std::string_view> fixtures = {
      kVllmStream,        kStarletteStream,     kTgiStream,
      kNamedEventsStream, kLlamaCppErrorStream, kMultiLineStream,
  };
  return fixtures;
}

TEST(SseParser, ReadsOneEvent) {
  const Parsed parsed = Parse("data: hello\n\n");
  ASSERT_TRUE(parsed.ok);
  EXPECT_EQ(parsed.events, (std::vector<Event>{{"message", "hello", ""}}));
  EXPECT_TRUE(parsed.end.complete) << parsed.end.description;
}

TEST(SseParser, JoinsDataLinesWithNewlines) {
  EXPECT_EQ(Events(kMultiLineStream),
            (std::vector<Event>{
                {"message", "YHOO\n+2\n10", ""},
                {"message", "{\"choices\":\n[{\"index\":0,\"text\":\"x\"}]}", ""},
            }));
}

TEST(SseParser, RemovesOnlyOneSpaceAfterTheColon) {
  EXPECT_EQ(Events("data:x\n\n")[0].data, "x");
  EXPECT_EQ(Events("data: x\n\n")[0].data, "x");
  EXPECT_EQ(Events("data:  x \n\n")[0].data, " x ");
  EXPECT_EQ(Events("data:\tx\n\n")[0].data, "\tx");
  EXPECT_EQ(Events("data: a: b\n\n")[0].data, "a: b");
}

TEST(SseParser, FieldWithoutColonHasAnEmptyValue) {
  // "data" alone is a data line with an empty value: the event is dispatched with data "".
  EXPECT_EQ(Events("data\n\n"), (std::vector<Event>{{"message", "", ""}}));
  EXPECT_EQ(Events("data\ndata\n\n"), (std::vector<Event>{{"message", "\n", ""}}));
  EXPECT_EQ(Events("data:\n\n"), (std::vector<Event>{{"message", "", ""}}));
  // "event" alone resets the name to the default.
  EXPECT_EQ(Events("event: x\nevent\ndata: 1\n\n"), (std::vector<Event>{{"message", "1", ""}}));
}

TEST(SseParser, IgnoresCommentsAndUnknownFields) {
  EXPECT_EQ(Events(": keep-alive\n:\n\n: another\ndata: 1\n: inside an event\nfoo: bar\n"
                   "Data: not data (field names are case-sensitive)\n\n"),
            (std::vector<Event>{{"message", "1", ""}}));
  EXPECT_TRUE(Events(":\n\n: ping\n\n").empty());
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
  // The spec: an empty data buffer resets the event name and dispatches nothing.
  EXPECT_EQ(Events("event: ping\n\ndata: 1\n\n"), (std::vector<Event>{{"message", "1", ""}}));
  EXPECT_TRUE(Events("id: 7\n\n\n\n").empty());
}

TEST(SseParser, EventNamesIdsAndRetry) {
  SseParser parser;
  std::vector<Event> events;
  ASSERT_TRUE(parser.Feed(kNamedEventsStream, [&](const SseEvent& e) {
    events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
  }));
  EXPECT_EQ(events, (std::vector<Event>{
                        {"response.created", "{\"type\":\"response.created\"}", "1"},
                        {"response.output_text.delta", "{\"delta\":\"Hel\"}", "2"},
                        {"message", "{\"delta\":\"lo\"}", "2"},  // the last id persists
                        {"response.completed", "{\"type\":\"response.completed\"}", "3"},
                    }));
  EXPECT_EQ(parser.retry_ms(), 3000);
  EXPECT_EQ(parser.events(), 4u);
}

TEST(SseParser, IdWithNulIsIgnoredAndEmptyIdClears) {
  using namespace std::string_literals;
  EXPECT_EQ(
      Events("id: 5\ndata: a\n\nid: 6\0x\ndata: b\n\nid\ndata: c\n\n"s),
      (std::vector<Event>{{"message", "a", "5"}, {"message", "b", "5"}, {"message", "c", ""}}));
}

TEST(SseParser, RetryNeedsDigitsOnly) {
  SseParser parser;
  const auto ignore = [](const SseEvent&) {};
  ASSERT_TRUE(parser.Feed("retry: 15x\nretry: -1\nretry:\n\n", ignore));
  EXPECT_FALSE(parser.retry_ms().has_value());
  ASSERT_TRUE(parser.Feed("retry: 250\n\n", ignore));
  EXPECT_EQ(parser.retry_ms(), 250);
  ASSERT_TRUE(parser.Feed("retry: 1e3\n\n", ignore));
  EXPECT_EQ(parser.retry_ms(), 250);
}

TEST(SseParser, AcceptsCrLfAndCrLineEnds) {
  const std::vector<Event> lf = Events(kVllmStream);
  ASSERT_EQ(lf.size(), 4u);
  EXPECT_EQ(Events(Replace(kVllmStream, "\n", "\r\n")), lf);
  EXPECT_EQ(Events(Replace(kVllmStream, "\n", "\r")), lf);
  // Mixed in one stream.
  EXPECT_EQ(Events("data: a\r\ndata: b\rdata: c\n\r\n"),
            (std::vector<Event>{{"message", "a\nb\nc", ""}}));
  EXPECT_EQ(
      Events(kStarletteStream),
      (std::vector<Event>{{"message", "{\"choices\":[{\"index\":0,\"text\":\" Paris\"}]}", ""},
                          {"message", "[DONE]", ""}}));
}

TEST(SseParser, CrAtTheEndOfOneSliceAndLfAtTheStartOfTheNextAreOneLineEnd) {
  // If "\r" + "\n" were two line ends, the second would be an empty line and dispatch early.
  const Parsed parsed = ParseSlices("data: a\r\ndata: b\r\n\r\n", {8, 9, 17, 18});
  EXPECT_EQ(parsed.events, (std::vector<Event>{{"message", "a\nb", ""}}));
  // A "\r" ending a slice dispatches at once when it ends an empty line: the event does not
  // wait for the next slice.
  SseParser parser;
  int events = 0;
  const auto count = [&](const SseEvent&) { ++events; };
  ASSERT_TRUE(parser.Feed("data: x\r\r", count));
  EXPECT_EQ(events, 1);
  ASSERT_TRUE(parser.Feed("\ndata: y\r\n\r\n", count));  // the "\n" only ends the "\r"
  EXPECT_EQ(events, 2);
  // An empty slice between the "\r" and the "\n" changes nothing.
  const Parsed with_empty = ParseSlices("data: a\r\ndata: b\r\n\r\n", {8, 8, 8, 9});
  EXPECT_EQ(with_empty.events, (std::vector<Event>{{"message", "a\nb", ""}}));
}

TEST(SseParser, SkipsAByteOrderMarkAtTheStartOnly) {
  EXPECT_EQ(Events("\xEF\xBB\xBF"
                   "data: a\n\n"),
            (std::vector<Event>{{"message", "a", ""}}));
  // Split inside the mark.
  EXPECT_EQ(ParseSlices("\xEF\xBB\xBF"
                        "data: a\n\n",
                        {1, 2, 3})
                .events,
            (std::vector<Event>{{"message", "a", ""}}));
  // Later it is part of the line (here: an unknown field name, ignored).
  EXPECT_EQ(Events("data: a\n\n\xEF\xBB\xBF"
                   "data: b\n\n"),
            (std::vector<Event>{{"message", "a", ""}}));
}

TEST(SseParser, SeveralEventsInOneRead) {
  SseParser parser;
  std::vector<std::string> data;
  ASSERT_TRUE(parser.Feed("data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4",
                          [&](const SseEvent& e) { data.emplace_back(e.data); }));
  EXPECT_EQ(data, (std::vector<std::string>{"1", "2", "3"}));
  ASSERT_TRUE(parser.Feed("\n\n", [&](const SseEvent& e) { data.emplace_back(e.data); }));
  EXPECT_EQ(data, (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST(SseParser, LlamaCppErrorFieldIsAnErrorEvent) {
  const std::vector<Event> events = Events(kLlamaCppErrorStream);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, "error");
  EXPECT_EQ(events[1].data,
            "{\"code\":500,\"message\":\"slot unavailable\",\"type\":\"server_error\"}");
  // Strict WHATWG behaviour on request: the unknown field is ignored.
  const Parsed strict = Parse(kLlamaCppErrorStream, {.error_field_as_event = false});
  EXPECT_EQ(strict.events.size(), 1u);
}

// Every fixture cut in two at every byte, cut into single bytes, and cut into random slices
// gives exactly the events of the whole.
TEST(SseParser, SameEventsWhereverTheStreamIsCut) {
  std::mt19937 rng(20250101);
  for (const std::string_view base : Fixtures()) {
    for (const std::string& stream :
         {std::string(base), Replace(base, "\n", "\r\n"), Replace(base, "\n", "\r")}) {
      const Parsed whole = Parse(stream);
      ASSERT_TRUE(whole.ok);
      ASSERT_FALSE(whole.events.empty());
      ASSERT_TRUE(whole.end.complete) << whole.end.description;
      for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        const Parsed parsed = ParseSlices(stream, {cut});
        ASSERT_EQ(parsed.events, whole.events) << "cut at byte " << cut << " of:\n" << stream;
        ASSERT_TRUE(parsed.end.complete) << "cut at byte " << cut;
      }
      std::vector<std::size_t> every_byte;
      for (std::size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
      ASSERT_EQ(ParseSlices(stream, every_byte).events, whole.events);
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<std::size_t> cuts;
        std::uniform_int_distribution<std::size_t> step(0, 40);
        for (std::size_t at = step(rng); at < stream.size(); at += step(rng)) cuts.push_back(at);
        ASSERT_EQ(ParseSlices(stream, cuts).events, whole.events) << "trial " << trial;
      }
    }
  }
}

// The WHATWG algorithm written the plain way (whole input, one character at a time), to check
// the incremental parser against on random streams.
std::vector<Event> ReferenceEvents(std::string_view stream) {
  std::vector<std::string> lines;
  std::string line;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    const char c = stream[i];
    if (c == '\r' || c == '\n') {
      lines.push_back(line);
      line.clear();
      if (c == '\r' && i + 1 < stream.size() && stream[i + 1] == '\n') ++i;
    } else {
      line.push_back(c);
    }
  }
  // An unfinished last line is discarded with the event it belongs to.
  if (!lines.empty() && lines[0].starts_with("\xEF\xBB\xBF")) lines[0].erase(0, 3);
  std::vector<Event> events;
  std::string data;
  std::string type;
  std::string id;
  bool has_data = false;
  for (const std::string& l : lines) {
    if (l.empty()) {
      if (has_data) events.push_back({type.empty() ? "message" : type, data, id});
      data.clear();
      type.clear();
      has_data = false;
      continue;
    }
    if (l[0] == ':') continue;
    const std::size_t colon = l.find(':');
    const std::string field = l.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : l.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "data" || field == "error") {
      if (field == "error") type = "error";
      if (has_data) data += '\n';
      data += value;
      has_data = true;
    } else if (field == "event") {
      type = value;
    } else if (field == "id" && value.find('\0') == std::string::npos) {
      id = value;
    }
  }
  return events;
}

TEST(SseParser, AgreesWithThePlainAlgorithmOnRandomStreams) {
  using namespace std::string_literals;
  const std::vector<std::string> pieces = {
      "data: {\"a\":1}"s,
      "data:x"s,
      "data"s,
      "data:  two"s,
      "data: a: b"s,
      "event: delta"s,
      "event"s,
      "id: 7"s,
      "id"s,
      "id: n\0l"s,
      "retry: 100"s,
      ": ping"s,
      ":"s,
      ""s,
      ""s,
      "unknown: x"s,
      "error: {}"s,
      "data: \xc3\xa9\xf0\x9f\x98\x80"s,
      "\xEF\xBB\xBF"s,
  };
  const std::vector<std::string> line_ends = {"\n", "\r\n", "\r"};
  std::mt19937 rng(99);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string stream;
    const int lines = static_cast<int>(rng() % 12);
    for (int i = 0; i < lines; ++i) {
      stream += pieces[rng() % pieces.size()];
      stream += line_ends[rng() % line_ends.size()];
    }
    if (rng() % 4 == 0) stream += pieces[rng() % pieces.size()];  // an unfinished last line
    std::vector<std::size_t> cuts;
    for (std::size_t at = rng() % 8; at < stream.size(); at += 1 + rng() % 8) cuts.push_back(at);
    ASSERT_EQ(ParseSlices(stream, cuts).events, ReferenceEvents(stream)) << "stream: " << stream;
  }
}

TEST(SseParser, MultiByteCharactersSplitAcrossReadsArriveWhole) {
  // "Grüß 世界 😀": 2-, 3- and 4-byte characters; cut inside each of them.
  const std::string expected = "Gr\xc3\xbc\xc3\x9f \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80";
  std::string stream = "data: ";
  stream.append(expected).append("\n\n");
  for (std::size_t cut = 6; cut < stream.size() - 2; ++cut) {
    const Parsed parsed = ParseSlices(stream, {cut, cut + 1});
    ASSERT_EQ(parsed.events.size(), 1u);
    EXPECT_EQ(parsed.events[0].data, expected) << "cut at " << cut;
  }
}

TEST(SseParser, EventOverTheLimitIsAnError) {
  const SseParserOptions options{.max_event_bytes = 64};
  // Exactly at the limit is fine.
  EXPECT_TRUE(Parse(DataEvent(64), options).ok);

  SseParser parser(options);
  int events = 0;
  const auto count = [&](const SseEvent&) { ++events; };
  EXPECT_FALSE(parser.Feed(DataEvent(65), count));
  EXPECT_TRUE(parser.failed());
  EXPECT_NE(parser.error().find("limit of 64 bytes"), std::string::npos) << parser.error();
  EXPECT_EQ(events, 0);
  // Sticky until Finish/Reset.
  EXPECT_FALSE(parser.Feed("data: ok\n\n", count));
  EXPECT_EQ(events, 0);
  const SseStreamEnd end = parser.Finish();
  EXPECT_FALSE(end.complete);
  EXPECT_NE(end.description.find("limit"), std::string::npos);
  EXPECT_TRUE(parser.Feed("data: ok\n\n", count));
  EXPECT_EQ(events, 1);
}

TEST(SseParser, LimitDoesNotDependOnWhereTheStreamIsCut) {
  const SseParserOptions options{.max_event_bytes = 64};
  for (const std::size_t size : {std::size_t{64}, std::size_t{65}}) {
    const std::string stream = DataEvent(size);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      EXPECT_EQ(ParseSlices(stream, {cut}, options).ok, size <= 64) << size << " cut at " << cut;
    }
  }
}

TEST(SseParser, LimitCoversManyDataLinesAndAnEndlessLine) {
  const SseParserOptions options{.max_event_bytes = 64};
  std::string many;
  for (int i = 0; i < 20; ++i) many += "data: 12345\n";
  EXPECT_FALSE(Parse(many + "\n", options).ok);

  // A line that never ends (no line end at all) must not grow without bound either, even when
  // it arrives one byte at a time.
  SseParser parser(options);
  bool ok = true;
  for (int i = 0; i < 1000 && ok; ++i) ok = parser.Feed("x", [](const SseEvent&) {});
  EXPECT_FALSE(ok);
  EXPECT_TRUE(parser.failed());
}

TEST(SseParser, FinishReportsATruncatedStream) {
  {
    constexpr std::string_view kCut = "data: {\"choices\":[{\"te";
    std::string stream = "data: 1\n\n";
    stream.append(kCut);
    const Parsed parsed = Parse(stream);
    EXPECT_EQ(parsed.events.size(), 1u);
    EXPECT_FALSE(parsed.end.complete);
    EXPECT_EQ(parsed.end.discarded_bytes, kCut.size());
    EXPECT_NE(parsed.end.description.find("unfinished line 'data: {\"choices\":[{\"te'"),
              std::string::npos)
        << parsed.end.description;
  }
  {
    // Data lines without the closing empty line: not dispatched, reported with their data.
    const Parsed parsed = Parse("data: [DONE]\n");
    EXPECT_TRUE(parsed.events.empty());
    EXPECT_FALSE(parsed.end.complete);
    EXPECT_EQ(parsed.end.partial_data, "[DONE]");
    EXPECT_EQ(parsed.end.discarded_bytes, 13u);
    EXPECT_NE(parsed.end.description.find("data so far '[DONE]'"), std::string::npos);
  }
  {
    const Parsed parsed = Parse("data: a\r\n\r\nevent: x\r\n");
    EXPECT_EQ(parsed.events.size(), 1u);
    EXPECT_FALSE(parsed.end.complete);
    EXPECT_NE(parsed.end.description.find("fields without data"), std::string::npos);
  }
  // Complete streams, including one ending in "\r" and one ending in comments.
  EXPECT_TRUE(Parse("data: a\r\r").end.complete);
  EXPECT_TRUE(Parse("data: a\n\n: bye\n").end.complete);
  EXPECT_TRUE(Parse("").end.complete);
}

TEST(SseParser, FinishResetsForTheNextStream) {
  SseParser parser;
  std::vector<Event> events;
  const auto collect = [&](const SseEvent& e) {
    events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
  };
  ASSERT_TRUE(parser.Feed("id: 9\nevent: x\ndata: cut", collect));
  EXPECT_FALSE(parser.Finish().complete);
  ASSERT_TRUE(
      parser.Feed("\xEF\xBB\xBF"
                  "data: next\n\n",
                  collect));
  EXPECT_EQ(events, (std::vector<Event>{{"message", "next", ""}}));
  EXPECT_EQ(parser.events(), 1u);
}

TEST(SseParser, SteadyStateAllocatesNothing) {
  std::string stream;
  for (int i = 0; i < 200; ++i) stream.append(kVllmStream.substr(0, kVllmStream.find("\n\n") + 2));
  SseParser parser;
  std::size_t events = 0;
  std::size_t bytes = 0;
  const auto on_event = [&](const SseEvent& e) {
    ++events;
    bytes += e.data.size();
  };
  // Warm up: buffers reach their working size.
  for (std::size_t at = 0; at < stream.size(); at += 37) {
    ASSERT_TRUE(parser.Feed(std::string_view(stream).substr(at, 37), on_event));
  }
  const std::uint64_t before = AllocationCount();
  for (std::size_t at = 0; at < stream.size(); at += 37) {
    if (!parser.Feed(std::string_view(stream).substr(at, 37), on_event)) break;
  }
  const std::uint64_t allocations = AllocationCount() - before;
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(events, 400u);
  EXPECT_GT(bytes, 0u);
}

}  // namespace
}  // namespace infermeter::engines::openai::testing
