#pragma once
// A run's hardware in a few words, from its hardware description (runs.hardware, written by
// collectors/hardware_description.cpp): what the exporters label runs with and the dashboard
// shows in its Runs table, so both name the same machine the same way.

#include <string>
#include <string_view>

namespace infermeter::results {

// "8x NVIDIA H100 80GB HBM3", "2x Ascend 910B", or the CPU ("AMD EPYC 7B13 (2 cores)") from
// the run's hardware description (runs.hardware); for a run against a remote server, the server
// ("server at http://HOST:PORT"); "unknown" when it says nothing usable. Never throws on bad
// JSON.
std::string HardwareSummary(std::string_view hardware_json);

// Whether a description's `device` names a server on another machine ("server at URL" with a
// host that is not loopback). A server on this machine (127.0.0.0/8, localhost, [::1]) served
// with the devices the collectors saw, so those describe it.
bool ServedRemotely(std::string_view device);

}  // namespace infermeter::results
