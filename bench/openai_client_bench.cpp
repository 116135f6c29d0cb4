// The OpenAI-compatible client end to end over loopback TCP: a local server (raw sockets, one
// thread per connection, in this process) streams completion chunks, and the client engine
// (libcurl multi on its one I/O thread) ingests them through a counting sink.
//
//   openai_client_bench [--streams N] [--events N] [--paced-us N] [--repeat N]
//
// Two figures, each the median of --repeat runs:
//   * flood (server writes as fast as it can): token events per second of wall time, and per
//     second of the client I/O thread's own CPU time (the "one core" figure);
//   * paced (each stream sends one event every --paced-us): the client's added latency per
//     chunk, from the moment libcurl handed the bytes over (the write callback) to the sink's
//     OnChunk, p50/p99/max; and the server-write-to-OnChunk latency, which adds the kernel's
//     loopback delivery and thread wake-up on this machine.

// GCC 12 reports a false -Wrestrict inside std::string's inlined copies here (GCC bug 105651).
#pragma GCC diagnostic ignored "-Wrestrict"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "infermeter/core/clock.h"
#include "infermeter/engines/openai_engine.h"
#include "median.h"

namespace {

using infermeter::bench::Median;

using infermeter::MonotonicNs;

struct Settings {
  int streams = 64;
  int events = 20'000;
  int paced_us = 2'000;
  int paced_events = 500;
  int repeat = 5;
};

std::int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// One chunk as vLLM sends it for /v1/completions; `stamp` goes in the text (paced mode).
std::string Event(std::int64_t stamp) {
  return fmt::format(
      "data: {{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{{\"index\":0,\"text\":\"{}\",\"logprobs\":null,\"finish_reason\":null}}]}}"
      "\n\n",
      stamp);
}

void WriteAll(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

// Reads one request (headers and Content-Length body) so the client sees a proper exchange.
bool ReadRequest(int fd) {
  std::string data;
  char buffer[65536];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(n));
    const auto end = data.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    const auto at = data.find("Content-Length: ");
    const std::size_t length = at == std::string::npos ? 0 : std::stoul(data.substr(at + 16));
    if (data.size() >= end + 4 + length) return true;
  }
}

class LocalServer {
 public:
  LocalServer(int events, int paced_us) : events_(events), paced_us_(paced_us) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_, 4096);
    socklen_t size = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~LocalServer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
    for (auto& t : connections_) t.join();
  }
  int port() const { return port_; }

 private:
  void Accept() {
    while (true) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (ReadRequest(fd)) {
      WriteAll(fd,
               "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
      if (paced_us_ > 0) {
        for (int i = 0; i < events_; ++i) {
          std::this_thread::sleep_for(std::chrono::microseconds(paced_us_));
          WriteAll(fd, Event(MonotonicNs()));
        }
      } else {
        // Flood: pre-built batches of events in large writes.
        std::string batch;
        for (int i = 0; i < 256; ++i) batch += Event(0);
        for (int sent = 0; sent < events_; sent += 256) WriteAll(fd, batch);
      }
      WriteAll(fd,
               "data: {\"id\":\"cmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,"
               "\"completion_tokens\":1,\"total_tokens\":2}}\n\ndata: [DONE]\n\n");
    }
    close(fd);
  }

  int events_;
  int paced_us_;
  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // joined at the end (a bench, not a server)
};

// Counts chunks and, when paced, keeps each chunk's latencies; runs on the client's I/O thread.
class BenchSink : public infermeter::ResponseSink {
 public:
  struct Shared {
    std::atomic<std::int64_t> events{0};
    std::atomic<std::int64_t> first_cpu_ns{0};
    std::atomic<std::int64_t> last_cpu_ns{0};
    std::mutex mutex;
    std::condition_variable done;
    int ended = 0;
    bool paced = false;
    std::vector<std::int64_t> added_ns;       // write callback -> OnChunk
    std::vector<std::int64_t> end_to_end_ns;  // server write -> OnChunk
  };
  explicit BenchSink(Shared& shared) : shared_(shared) {}

  void OnChunk(const infermeter::EngineChunk& chunk) override {
    const std::int64_t now = MonotonicNs();
    if (shared_.events.fetch_add(chunk.token_count, std::memory_order_relaxed) == 0) {
      shared_.first_cpu_ns = ThreadCpuNs();
    }
    if (shared_.paced) {
      std::int64_t stamp = 0;
      std::from_chars(chunk.text.data(), chunk.text.data() + chunk.text.size(), stamp);
      shared_.added_ns.push_back(now - chunk.engine_time_ns);  // one I/O thread: no lock needed
      shared_.end_to_end_ns.push_back(now - stamp);
    }
  }
  void OnFinish(const infermeter::EngineFinish&) override { End(); }
  void OnError(const infermeter::EngineFailure& failure) override {
    std::fprintf(stderr, "request failed: %s\n", failure.message.c_str());
    End();
  }

 private:
  void End() {
    shared_.last_cpu_ns = ThreadCpuNs();
    std::lock_guard lock(shared_.mutex);
    ++shared_.ended;
    shared_.done.notify_all();
  }
  Shared& shared_;
};

struct Outcome {
  double events_per_s = 0;
  double events_per_cpu_s = 0;
  std::vector<std::int64_t> added_ns;
  std::vector<std::int64_t> end_to_end_ns;
};

Outcome RunOnce(int streams, int events, int paced_us) {
  LocalServer server(events, paced_us);
  infermeter::engines::OpenAiEngineOptions options;
  options.base_url = fmt::format("http://127.0.0.1:{}", server.port());
  options.model = "m";
  auto engine = infermeter::engines::MakeOpenAiEngine(options);
  BenchSink::Shared shared;
  shared.paced = paced_us > 0;
  shared.added_ns.reserve(static_cast<std::size_t>(streams) * events);
  shared.end_to_end_ns.reserve(static_cast<std::size_t>(streams) * events);
  const std::int64_t start = MonotonicNs();
  for (int i = 0; i < streams; ++i) {
    infermeter::EngineRequest request;
    request.id = infermeter::RequestId(i);
    request.prompt_tokens = {1, 2, 3, 4};
    request.max_output_tokens = events;
    engine->Submit(std::move(request), std::make_shared<BenchSink>(shared));
  }
  {
    std::unique_lock lock(shared.mutex);
    shared.done.wait(lock, [&] { return shared.ended == streams; });
  }
  const double seconds = static_cast<double>(MonotonicNs() - start) / 1e9;
  engine->Shutdown();
  Outcome outcome;
  const auto total = static_cast<double>(shared.events.load());
  outcome.events_per_s = total / seconds;
  outcome.events_per_cpu_s =
      total / (static_cast<double>(shared.last_cpu_ns - shared.first_cpu_ns) / 1e9);
  outcome.added_ns = std::move(shared.added_ns);
  outcome.end_to_end_ns = std::move(shared.end_to_end_ns);
  return outcome;
}

double Percentile(std::vector<std::int64_t>& values, double q) {
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1));
  return static_cast<double>(values[index]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--streams") s.streams = value;
    if (flag == "--events") s.events = value;
    if (flag == "--paced-us") s.paced_us = value;
    if (flag == "--paced-events") s.paced_events = value;
    if (flag == "--repeat") s.repeat = value;
  }
  std::vector<double> wall;
  std::vector<double> cpu;
  for (int r = 0; r < s.repeat; ++r) {
    const Outcome flood = RunOnce(s.streams, s.events, 0);
    wall.push_back(flood.events_per_s);
    cpu.push_back(flood.events_per_cpu_s);
  }
  fmt::print(
      "flood: {} streams x {} events, median of {}: {:.2f} M events/s wall, {:.2f} M "
      "events per CPU-second of the client's I/O thread\n",
      s.streams, s.events, s.repeat, Median(wall) / 1e6, Median(cpu) / 1e6);

  std::vector<std::int64_t> added;
  std::vector<std::int64_t> end_to_end;
  for (int r = 0; r < s.repeat; ++r) {
    Outcome paced = RunOnce(s.streams, s.paced_events, s.paced_us);
    added.insert(added.end(), paced.added_ns.begin(), paced.added_ns.end());
    end_to_end.insert(end_to_end.end(), paced.end_to_end_ns.begin(), paced.end_to_end_ns.end());
  }
  fmt::print("paced: {} streams, one event every {} us each ({:.0f} events/s), {} chunks:\n",
             s.streams, s.paced_us, s.streams * 1e6 / s.paced_us, added.size());
  fmt::print(
      "  client added latency (write callback -> OnChunk): p50 {:.2f} us, p99 {:.2f} us, "
      "max {:.2f} us\n",
      Percentile(added, 0.5), Percentile(added, 0.99), Percentile(added, 1.0));
  fmt::print(
      "  server write -> OnChunk (adds loopback TCP and wake-up): p50 {:.1f} us, p99 {:.1f} "
      "us\n",
      Percentile(end_to_end, 0.5), Percentile(end_to_end, 0.99));
  return 0;
}
