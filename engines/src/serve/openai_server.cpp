// The HTTP glue of `infermeter serve`: routes, the thread pool, binding and stopping. The
// generation endpoints are in generate_handler.cpp, /metrics text in serve_metrics.cpp.

#include "infermeter/engines/openai_server.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <limits>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"
#include "serve/api_error.h"
#include "serve/generate_handler.h"
#include "serve/serve_metrics.h"

namespace infermeter::engines {
namespace {

using serve::ApiError;
using serve::WriteError;

// httplib's accept backlog is a compile-time constant (5 in Debian's build): at a few hundred
// clients connecting at once, most SYNs would be dropped and retried a second later. The
// listening socket is protected, so a subclass can listen again with a real backlog.
class HttpServer : public httplib::Server {
 public:
  bool Relisten(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

struct Route {
  std::string_view path;
  std::string_view method;
};
constexpr std::array<Route, 5> kRoutes = {{{"/v1/completions", "POST"},
                                           {"/v1/chat/completions", "POST"},
                                           {"/v1/models", "GET"},
                                           {"/health", "GET"},
                                           {"/metrics", "GET"}}};

// 404 for a path we do not serve, 405 for a served path with another method.
void NoRoute(const httplib::Request& request, httplib::Response& response) {
  for (const Route& route : kRoutes) {
    if (request.path != route.path) continue;
    response.set_header("Allow", std::string(route.method));
    return WriteError(response, {.status = 405,
                                 .message = fmt::format("Method {} is not allowed for {}; use {}",
                                                        request.method, request.path, route.method),
                                 .code = "method_not_allowed"});
  }
  WriteError(response, {.status = 404,
                        .message = fmt::format("Invalid URL ({} {})", request.method, request.path),
                        .code = "unknown_url"});
}

std::string StatusText(int status) {
  switch (status) {
    case 400:
      return "the request is not valid HTTP";
    case 413:
      return "the request body is larger than the server accepts";
    case 414:
      return "the request URI is too long";
    default:
      return fmt::format("HTTP status {}", status);
  }
}

}  // namespace

class OpenAiServer::Impl {
 public:
  Impl(Engine& engine, ServedModel model, OpenAiServerOptions options)
      : engine_(engine),
        model_(std::move(model)),
        options_(std::move(options)),
        metrics_(std::make_shared<serve::ServeMetrics>(model_.max_model_len)),
        generate_(engine_, model_, metrics_, stopping_),
        created_(WallNs() / 1'000'000'000) {
    // A client that closes its connection makes our next send fail with EPIPE; without this
    // the process would die of SIGPIPE instead.
    std::signal(SIGPIPE, SIG_IGN);
    Routes();
  }

  ~Impl() { Stop(); }

  int Start() {
    const std::size_t threads = std::max<std::size_t>(options_.max_connections, 1);
    // One thread per open connection: a stream holds its thread until it ends, so httplib's
    // default pool (8 threads) would serve 8 streams and queue the rest behind them.
    http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // Tokens go out as soon as they exist; Nagle's algorithm would hold small SSE events back
    // for up to the peer's delayed-ACK time and distort inter-token latency.
    http_.set_tcp_nodelay(true);
    // Benchmark clients keep connections open for many requests.
    http_.set_keep_alive_max_count(100000);
    http_.set_read_timeout(options_.io_timeout_s, 0);
    http_.set_write_timeout(options_.io_timeout_s, 0);
    http_.set_payload_max_length(options_.max_body_bytes);

    errno = 0;
    if (options_.port == 0) {
      port_ = http_.bind_to_any_port(options_.host);
    } else if (http_.bind_to_port(options_.host, options_.port)) {
      port_ = options_.port;
    }
    if (port_ <= 0) {
      throw Error(fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port,
                              errno != 0 ? std::strerror(errno) : "bind failed"));
    }
    http_.Relisten(static_cast<int>(std::min<std::size_t>(threads, 4096)));
    listener_ = std::thread([this] { http_.listen_after_bind(); });
    // Stop() can only stop a server that has started its accept loop.
    while (!http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return port_;
  }

  void Stop() {
    if (stopping_.exchange(true)) return;
    http_.stop();
    if (listener_.joinable()) listener_.join();
  }

  int port() const { return port_; }

 private:
  void Routes() {
    http_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      generate_.Handle(serve::Endpoint::kCompletions, req, res);
    });
    http_.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      generate_.Handle(serve::Endpoint::kChat, req, res);
    });
    http_.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      const nlohmann::json model = {{"id", model_.name},
                                    {"object", "model"},
                                    {"created", created_},
                                    {"owned_by", "infermeter"},
                                    {"root", model_.name},
                                    {"parent", nullptr},
                                    {"max_model_len", model_.max_model_len},
                                    {"permission", nlohmann::json::array()}};
      res.set_content(nlohmann::json{{"object", "list"}, {"data", {model}}}.dump(),
                      "application/json");
    });
    http_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      res.status = stopping_ ? 503 : 200;
    });
    http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_->Render(engine_.Stats(), model_),
                      "text/plain; version=0.0.4; charset=utf-8");
    });
    // Everything else: 404 or 405, as JSON. httplib dispatches to the first matching pattern,
    // and reads a request's body before dispatching, so the connection stays usable.
    http_.Get(".*", NoRoute);
    http_.Post(".*", NoRoute);
    http_.Put(".*", NoRoute);
    http_.Patch(".*", NoRoute);
    http_.Delete(".*", NoRoute);
    http_.Options(".*", NoRoute);
    // Errors httplib answers itself (a malformed request line, a body over the limit) get an
    // OpenAI-style body too; responses that already have one are left alone.
    http_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty() || res.is_chunked_content_provider_) return;
      WriteError(res, {.status = res.status, .message = StatusText(res.status), .code = ""});
    });
    http_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
          std::string message = "internal error";
          try {
            if (error) std::rethrow_exception(error);
          } catch (const std::exception& e) {
            message = fmt::format("internal error: {}", e.what());
          } catch (...) {
          }
          WriteError(res, {.status = 500, .message = message, .code = "internal_error"});
        });
  }

  Engine& engine_;
  const ServedModel model_;
  const OpenAiServerOptions options_;
  std::atomic<bool> stopping_{false};
  std::shared_ptr<serve::ServeMetrics> metrics_;
  serve::GenerateHandler generate_;
  const std::int64_t created_;
  HttpServer http_;
  std::thread listener_;
  int port_ = 0;
};

OpenAiServer::OpenAiServer(Engine& engine, ServedModel model, OpenAiServerOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(model), std::move(options))) {}

OpenAiServer::~OpenAiServer() = default;

int OpenAiServer::Start() { return impl_->Start(); }
void OpenAiServer::Stop() { impl_->Stop(); }
int OpenAiServer::port() const { return impl_->port(); }

}  // namespace infermeter::engines
