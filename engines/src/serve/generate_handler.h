#pragma once
// POST /v1/completions and /v1/chat/completions: parse, submit to the engine, wait for the
// engine's first word (so that a request the engine refuses still gets a 400, not a stream),
// then answer in one piece or as a Server-Sent-Events stream driven by httplib's chunked
// content provider on the connection's thread.
//
// A client that goes away mid-stream makes a write fail (or a write time out); httplib then
// ends the response and its releaser cancels the request in the engine. cpp-httplib 0.11.4
// notices a closed connection only when writing, so a client that leaves during a long prefill
// is noticed at its first token, and one that leaves a non-streaming request is not noticed
// (the request runs to its max_tokens).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <httplib.h>

#include "infermeter/core/engine.h"
#include "infermeter/engines/serve_model.h"
#include "serve/request_parser.h"
#include "serve/serve_metrics.h"

namespace infermeter::engines::serve {

class GenerateHandler {
 public:
  GenerateHandler(Engine& engine, const ServedModel& model, std::shared_ptr<ServeMetrics> metrics,
                  const std::atomic<bool>& stopping);

  void Handle(Endpoint endpoint, const httplib::Request& request, httplib::Response& response);

 private:
  Engine& engine_;
  const ServedModel& model_;
  const std::shared_ptr<ServeMetrics> metrics_;
  const std::atomic<bool>& stopping_;
  std::atomic<std::int64_t> next_id_{1};
  const std::uint64_t id_salt_;  // makes response ids differ between server runs
};

// Writes `error` as the response's JSON body and status.
struct ApiError;
void WriteError(httplib::Response& response, const ApiError& error);

}  // namespace infermeter::engines::serve
