#pragma once
// Running Huawei's `npu-smi` tool without a shell, with a deadline: finding it on $PATH and
// reading what `npu-smi info` prints (npu_smi.h parses it).

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

namespace infermeter::collectors {

// Where `command` would be run from: itself when it contains a '/' and is executable, else the
// first executable of that name in $PATH; nullopt when there is none.
std::optional<std::string> FindExecutable(const std::string& command);

// Runs `<command> info` (no shell) and returns what it wrote to standard output. Throws Error
// when it cannot be started, exits with a failure (the message quotes its standard error), runs
// longer than `timeout`, or `*cancel` becomes true; a child that overruns is killed with its
// whole process group, so a wedged driver never keeps the caller waiting past `timeout`.
std::string RunNpuSmiInfo(const std::string& command, std::chrono::milliseconds timeout,
                          const std::atomic<bool>* cancel = nullptr);

}  // namespace infermeter::collectors
