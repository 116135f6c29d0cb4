#pragma once
// Ctrl-C for long runs: the first SIGINT (or SIGTERM) asks the run to stop — it stops sending,
// cancels what is in flight, records it and flushes everything; a second one exits at once.
// Exiting at once cannot corrupt the results file: SQLite in WAL mode loses at most the
// uncommitted batch.

#include <atomic>

namespace infermeter::cli {

// Installs the handlers (once) and returns the flag the first signal sets.
const std::atomic<bool>& InstallInterruptHandler();

}  // namespace infermeter::cli
