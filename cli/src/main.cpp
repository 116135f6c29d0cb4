// infermeter: benchmark and profile LLM inference across hardware.
// The composition root: builds the command tree, runs the chosen command, maps errors to exit
// codes (0 ok, 1 error, 2 bad command line, 3 a check found problems).

#include <clocale>
#include <exception>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "command.h"
#include "compare_command.h"
#include "db_command.h"
#include "engine_command.h"
#include "exporter_command.h"
#include "infermeter/core/error.h"
#include "infermeter/core/log.h"
#include "infermeter/core/version.h"
#include "model_command.h"
#include "probe_command.h"
#include "report_command.h"
#include "run_command.h"
#include "runs_command.h"
#include "serve_command.h"
#include "trace_command.h"

int main(int argc, char** argv) {
  // Numbers in output and in stored JSON always use '.' as the decimal point.
  std::setlocale(LC_NUMERIC, "C");

  CLI::App app{
      "infermeter: replay long-context and agentic LLM traces through an inference engine and "
      "record throughput, latency, FLOPs and KV-cache memory into SQLite.",
      "infermeter"};
  app.set_version_flag("--version", fmt::format("infermeter {} (git {})", infermeter::Version(),
                                                infermeter::GitRevision()));
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  app.require_subcommand(1);

  infermeter::cli::CommandAction action;
  infermeter::cli::AddRunCommand(app, &action);
  infermeter::cli::AddRunsCommand(app, &action);
  infermeter::cli::AddCompareCommand(app, &action);
  infermeter::cli::AddReportCommand(app, &action);
  infermeter::cli::AddDbCommand(app, &action);
  infermeter::cli::AddEngineCommand(app, &action);
  infermeter::cli::AddExporterCommand(app, &action);
  infermeter::cli::AddModelCommand(app, &action);
  infermeter::cli::AddProbeCommand(app, &action);
  infermeter::cli::AddServeCommand(app, &action);
  infermeter::cli::AddTraceCommand(app, &action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Prints the help, the version or the usage error; usage errors all exit with 2.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    infermeter::ConfigureLogging(log_level);
    return action ? action() : 0;
  } catch (const infermeter::Error& e) {
    std::cerr << "infermeter: error: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "infermeter: internal error: " << e.what() << '\n';
    return 1;
  }
}
