#pragma once
// `infermeter serve`: any Engine behind an OpenAI-compatible HTTP server (/v1/completions,
// /v1/chat/completions streaming and not, /v1/models, /health, /metrics with vLLM's metric names),
// built on cpp-httplib (docs/ARCHITECTURE.md says why). Endpoints, fields, the token text rule,
// the chat template, metrics and errors: docs/SERVE.md.
//
// The server knows the engine only through the interface in core/ and the model through
// ServedModel, so it can front any engine; the CLI composes it with the reference engine.
//
// Threads: httplib serves each connection on a thread of the server's own pool, and a streaming
// response holds its thread until the stream ends, so the pool is sized by max_connections (the
// open connections served at once), not by the cores. Engine sinks never block: they queue the
// engine's output per request and the connection's thread turns it into HTTP.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "infermeter/core/engine.h"
#include "infermeter/engines/serve_model.h"

namespace infermeter::engines {

struct OpenAiServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: pick a free port (OpenAiServer::port() says which)
  // Connections served at once: the size of the thread pool (one thread per open connection,
  // held for a whole stream). Connections beyond it wait in the accept queue.
  std::size_t max_connections = 1024;
  // Largest request body accepted (413 beyond): a 1M-token prompt as JSON ids is ~8 MB.
  std::size_t max_body_bytes = std::size_t{128} << 20;
  // A client that does not take a chunk for this long is treated as gone (its request is
  // cancelled); also the limit for reading a request.
  int io_timeout_s = 30;
};

class OpenAiServer {
 public:
  // `engine` must outlive the server. Nothing listens until Start().
  OpenAiServer(Engine& engine, ServedModel model, OpenAiServerOptions options);
  ~OpenAiServer();  // Stop()
  OpenAiServer(const OpenAiServer&) = delete;
  OpenAiServer& operator=(const OpenAiServer&) = delete;

  // Binds and starts serving on a thread of its own; returns the port. Throws infermeter::Error
  // naming the host and port when it cannot bind.
  int Start();
  // Stops accepting, ends open streams (their requests are cancelled in the engine) and joins
  // every thread. The engine keeps running; calling Stop twice is harmless.
  void Stop();
  int port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace infermeter::engines
