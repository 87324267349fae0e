// Minimal levelled logging to stderr. FIXAR_LOG=debug|info|warn|error sets the level
// (default info). Debug lines explain run-time choices (kernel path, parallelism).
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace fixar::util {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
LogLevel CurrentLogLevel();
void LogLine(LogLevel level, std::string_view line);

template <typename... Args>
void LogDebug(fmt::format_string<Args...> f, Args&&... args) {
  if (CurrentLogLevel() <= LogLevel::kDebug) LogLine(LogLevel::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void LogInfo(fmt::format_string<Args...> f, Args&&... args) {
  if (CurrentLogLevel() <= LogLevel::kInfo) LogLine(LogLevel::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void LogWarn(fmt::format_string<Args...> f, Args&&... args) {
  if (CurrentLogLevel() <= LogLevel::kWarn) LogLine(LogLevel::kWarn, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace fixar::util
