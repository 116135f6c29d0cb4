#include "infermeter/collectors/npu_smi_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "infermeter/core/clock.h"
#include "infermeter/core/error.h"

extern char** environ;  // NOLINT: posix_spawn hands the child our environment

namespace infermeter::collectors {
namespace {

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// ---------------------------------------------------------------------------------------------
// Running the tool.

// Closes a file descriptor once.
struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::string FirstLine(std::string_view text) {
  text = Trim(text);
  const std::size_t end = text.find('\n');
  return std::string(Trim(text.substr(0, end)));
}

}  // namespace

std::optional<std::string> FindExecutable(const std::string& command) {
  const auto executable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
  };
  if (command.empty()) return std::nullopt;
  if (command.find('/') != std::string::npos) {
    return executable(command) ? std::optional(command) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    const std::string candidate =
        (std::filesystem::path(dir.empty() ? "." : std::string(dir)) / command).string();
    if (executable(candidate)) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    dirs.remove_prefix(colon + 1);
  }
}

std::string RunNpuSmiInfo(const std::string& command, std::chrono::milliseconds timeout,
                          const std::atomic<bool>* cancel) {
  const std::string shown = command + " info";
  Fd out_read, out_write, err_read, err_write;
  {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
      throw Error(fmt::format("cannot run '{}': pipe: {}", shown, std::strerror(errno)));
    out_read.fd = out[0];
    out_write.fd = out[1];
    if (::pipe2(err, O_CLOEXEC) != 0)
      throw Error(fmt::format("cannot run '{}': pipe: {}", shown, std::strerror(errno)));
    err_read.fd = err[0];
    err_write.fd = err[1];
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // Its own process group, so a timeout can stop a wrapper script and what it started; default
  // signal mask, whatever the calling thread blocks.
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  std::string arg0 = command;
  std::string arg1 = "info";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, command.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  out_write.Close();
  err_write.Close();
  if (spawned != 0) throw Error(fmt::format("cannot run '{}': {}", shown, std::strerror(spawned)));

  const auto stop = [&](const std::string& why) {
    ::kill(-pid, SIGKILL);  // the group we just made: the tool and anything it started
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw Error(fmt::format("'{}' {}", shown, why));
  };
  constexpr std::size_t kMaxOutput = 16u << 20;  // far beyond any real table
  std::string out, err;
  const std::int64_t deadline_ns =
      MonotonicNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  const auto remaining_ms = [&] {
    return std::max<std::int64_t>(0, (deadline_ns - MonotonicNs()) / 1'000'000);
  };
  while (out_read.fd >= 0 || err_read.fd >= 0) {
    if (cancel != nullptr && cancel->load()) stop("was cancelled");
    if (MonotonicNs() >= deadline_ns) {
      stop(fmt::format("did not finish within {} ms", timeout.count()));
    }
    std::array<pollfd, 2> fds{pollfd{out_read.fd, POLLIN, 0}, pollfd{err_read.fd, POLLIN, 0}};
    const int ready = ::poll(fds.data(), fds.size(),
                             static_cast<int>(std::min<std::int64_t>(remaining_ms(), 50)));
    if (ready < 0 && errno != EINTR)
      stop(fmt::format("could not be read: {}", std::strerror(errno)));
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buffer[8192];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      Fd& fd = i == 0 ? out_read : err_read;
      if (n <= 0) {
        fd.Close();
        continue;
      }
      (i == 0 ? out : err).append(buffer, static_cast<std::size_t>(n));
      if (out.size() + err.size() > kMaxOutput) stop("wrote more than 16 MiB");
    }
  }
  // Both pipes are closed; the tool may still be exiting.
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR)
      throw Error(fmt::format("'{}': waitpid: {}", shown, std::strerror(errno)));
    if (cancel != nullptr && cancel->load()) stop("was cancelled");
    if (MonotonicNs() >= deadline_ns)
      stop(fmt::format("did not exit within {} ms", timeout.count()));
    ::usleep(1000);
  }
  if (WIFSIGNALED(status)) {
    throw Error(fmt::format("'{}' was killed by signal {}", shown, WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    const std::string said = FirstLine(err.empty() ? out : err);
    throw Error(fmt::format("'{}' exited with status {}{}{}", shown, WEXITSTATUS(status),
                            said.empty() ? "" : ": ", said));
  }
  return out;
}

}  // namespace infermeter::collectors
