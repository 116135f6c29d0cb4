#pragma once
// One function per format; import.cpp picks one. Each fills result->trace, records_read and
// notes; bad records go through context.bad.

#include <string_view>

#include "bad_records.h"

namespace infermeter::workloads::detail {

void ImportMooncake(std::string_view text, const ImportContext& context, ImportResult* result);
void ImportAzure(std::string_view text, const ImportContext& context, ImportResult* result);
void ImportBurstGpt(std::string_view text, const ImportContext& context, ImportResult* result);
void ImportShareGpt(std::string_view text, const ImportContext& context, ImportResult* result);
void ImportChatTrajectories(std::string_view text, const ImportContext& context,
                            ImportResult* result);
void ImportInfermeterJsonl(std::string_view text, const ImportContext& context,
                           ImportResult* result);

}  // namespace infermeter::workloads::detail
