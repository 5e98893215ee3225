// One spdlog logger per component instance ("flow:customer crm->erp"), all writing to one
// shared stderr sink so lines from several flows interleave whole. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace concord {

std::shared_ptr<spdlog::logger> ComponentLogger(const std::string& name);
// Sets the level of every logger made by ComponentLogger, now and later ("info", "debug", ...).
void SetLogLevel(spdlog::level::level_enum level);

}  // namespace concord
