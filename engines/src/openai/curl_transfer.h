#pragma once
// One request's HTTP exchange on a libcurl easy handle: the handle's options, the callbacks that
// feed the response body to the request's StreamReader, and what the finished attempt looked
// like (status, content type, timings, Retry-After) for DecideAttempt. Used only on the client's
// I/O thread.

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "infermeter/core/engine.h"
#include "infermeter/engines/openai_engine.h"
#include "openai/stream_reader.h"
#include "openai/transfer_outcome.h"

namespace infermeter::engines::openai {

// What every transfer of one engine shares.
struct TransferShared {
  std::string url;
  const OpenAiEngineOptions* options = nullptr;
  curl_slist* headers = nullptr;  // owned by the engine
};

// libcurl's process-wide state, set up once before the first handle (curl_global_init is not
// thread-safe itself; it is reference-counted, so other users of libcurl are unaffected).
void InitCurlOnce();

// Content-Type, Accept, no "Expect: 100-continue" (libcurl would otherwise wait up to a second
// for a 100 before sending a large body), Authorization when there is a key, extra headers.
curl_slist* CommonHeaders(const OpenAiEngineOptions& options);

struct Transfer {
  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer();

  // Sets up the easy handle (first attempt) and resets the per-attempt state (every attempt).
  // False when libcurl could not create a handle.
  bool PrepareAttempt();
  // What the attempt that libcurl just finished with `code` amounts to.
  AttemptOutcome Decide(CURLcode code);
  // Connection and first-byte times of the last attempt, when known.
  void FillTimes(EngineFinish& finish) const;

  const TransferShared* shared = nullptr;
  EngineRequest request;
  std::shared_ptr<ResponseSink> sink;
  std::string body;
  std::int64_t prompt_tokens_sent = 0;
  std::int64_t submitted_ns = 0;
  std::int64_t attempt_started_ns = 0;
  int connect_failures = 0;
  int rate_limit_retries = 0;

  CURL* easy = nullptr;
  std::unique_ptr<StreamReader> reader;
  // The session header goes in front of the shared list without copying it.
  std::string session_line;
  curl_slist session_node{};

  // Per attempt.
  long status = 0;
  bool status_known = false;
  bool streaming = false;
  std::string content_type;
  std::string excerpt;  // the start of a body that is not a stream (error text)
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::int64_t last_byte_ns = 0;  // the last header or body byte; 0 before the first
  bool idle_cut = false;          // the engine cut the stream for idling (Decide says timeout)

 private:
  static std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user);
  // Header lines count as activity for the idle timeout.
  static std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user);
  void ReadStatus();
};

}  // namespace infermeter::engines::openai
