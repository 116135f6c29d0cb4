#include "interrupt.h"

#include <csignal>
#include <cstring>

#include <unistd.h>

namespace infermeter::cli {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the flag is set from a signal handler");

void OnSignal(int) {
  // Only async-signal-safe calls here: an atomic store, write(2) and _exit(2).
  if (g_stop.exchange(true)) {
    constexpr char kMessage[] = "\ninfermeter: interrupted again, exiting now\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    _exit(130);
  }
  constexpr char kMessage[] =
      "\ninfermeter: stopping; everything recorded so far is kept (Ctrl-C again to exit at "
      "once)\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
}

}  // namespace

const std::atomic<bool>& InstallInterruptHandler() {
  static const bool installed = [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = OnSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    return true;
  }();
  (void)installed;
  return g_stop;
}

}  // namespace infermeter::cli
