#pragma once
// Incremental Server-Sent-Events parser (the `text/event-stream` framing of OpenAI-compatible
// streaming), following the WHATWG HTML "event stream interpretation" rules:
//   * a line ends with "\n", "\r\n" or "\r"; a "\r" ending one slice and a "\n" starting the next
//     are one line end;
//   * a line starting with ':' is a comment (keep-alives) and is ignored;
//   * "field:value" with one optional space after the colon removed; a line without a colon is
//     a field with an empty value;
//   * `data` lines are joined with '\n'; `event` names the event; `id` sets the last event id
//     (ignored when it contains NUL), which persists across events; `retry` with only ASCII
//     digits sets the reconnection time; other fields are ignored;
//   * an empty line dispatches the event, unless no `data` line was seen (then the event name is
//     dropped and nothing is dispatched);
//   * a UTF-8 byte-order mark at the very start of the stream is skipped;
//   * at the end of the stream an unfinished event is discarded (Finish() reports it).
// One deliberate extension, on by default: older llama.cpp servers send stream errors as an
// `error: {...}` line; such a line is read as `event: error` plus `data: {...}`.
//
// Bytes are passed through as they are (no UTF-8 decoding); a multi-byte character split across
// slices is whole again in the event. Buffers are reused, so in the steady state parsing
// allocates nothing. An event larger than `max_event_bytes` stops the stream with an error
// instead of growing without bound.
//
// Not thread-safe: one parser per stream (response body).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace infermeter::engines::openai {

// One dispatched event. The views point into the parser's buffers and are valid only during the
// callback that receives them.
struct SseEvent {
  std::string_view type;  // the `event` field; "message" when the event had none
  std::string_view data;  // the `data` lines joined with '\n'
  std::string_view id;    // the last event id seen on this stream ("" when none)
};

struct SseParserOptions {
  // The most bytes one event may hold (its data and event name); a line may be longer only by
  // its field name.
  std::size_t max_event_bytes = std::size_t{16} << 20;
  // Read a non-standard `error:` field line (older llama.cpp servers) as an error event.
  bool error_field_as_event = true;
};

// What Finish() found at the end of the stream.
struct SseStreamEnd {
  bool complete = true;             // ended on an event boundary: nothing was left undispatched
  std::size_t discarded_bytes = 0;  // raw bytes of the unfinished event (lines and partial line)
  std::string partial_data;         // the unfinished event's `data` so far (for diagnostics)
  std::string description;          // "" when complete; otherwise what was cut, for a message
};

class SseParser {
 public:
  SseParser();
  explicit SseParser(SseParserOptions options);

  // Parses the next slice of the stream (any length, cut anywhere) and calls
  // `on_event(const SseEvent&)` once per event completed by it, in order. Returns false once the
  // stream is unusable (an event or line over max_event_bytes); error() says why and every later
  // call returns false at once until Reset(). `on_event` must not call back into this parser; if it
  // throws, the exception propagates and the parser must be Reset() before further use.
  template <typename F>
  bool Feed(std::string_view bytes, F&& on_event) {
    using Fn = std::remove_reference_t<F>;
    return FeedImpl(bytes, const_cast<void*>(static_cast<const void*>(std::addressof(on_event))),
                    [](void* fn, const SseEvent& event) { (*static_cast<Fn*>(fn))(event); });
  }

  // The stream has ended: reports an unfinished event (or an earlier error) without dispatching
  // it, then resets the parser for a new stream.
  SseStreamEnd Finish();

  // Forgets everything about the current stream (buffers keep their capacity).
  void Reset();

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // The last valid `retry` field, in milliseconds.
  std::optional<std::int64_t> retry_ms() const { return retry_ms_; }
  // Events dispatched since the last Reset/Finish.
  std::uint64_t events() const { return events_; }

 private:
  using Callback = void (*)(void*, const SseEvent&);

  bool FeedImpl(std::string_view bytes, void* fn, Callback callback);
  // Handles one complete line (without its line end). False when the event grew over the limit.
  bool ProcessLine(std::string_view line, void* fn, Callback callback);
  void Dispatch(void* fn, Callback callback);
  // False (error_ set) when a line, or the event's data and name together, would exceed the
  // limit.
  bool CheckLineLength(std::size_t length);
  bool CheckEventSize(std::size_t size);

  SseParserOptions options_;
  std::string line_;   // an unfinished line carried over from the previous slice
  std::string data_;   // data lines of the current event, joined with '\n'
  std::string event_;  // event name of the current event ("" = default)
  std::string id_;     // last event id
  std::string error_;  // why the stream failed; "" while fine
  std::optional<std::int64_t> retry_ms_;
  std::uint64_t events_ = 0;
  std::size_t event_raw_bytes_ = 0;  // raw bytes of the lines of the current event so far
  bool has_data_ = false;            // a data line was seen (data_ may still be empty)
  bool has_fields_ = false;          // a non-comment line was seen since the last empty line
  bool skip_lf_ = false;             // the previous slice ended with '\r'
  bool at_stream_start_ = true;      // the next line is the stream's first (BOM check)
};

}  // namespace infermeter::engines::openai
