// Minimal levelled logging to stderr. FIXAR_LOG=debug|info|warn|error sets the level
// (default info). Debug lines explain run-time choices (kernel path, parallelism).
//
// A live line (a status line redrawn in place at the bottom of a terminal, such as the
// training progress) is shown through ShowLiveLine: while it is shown, a log line clears
// it, is printed on its own line and the live line is drawn again below it, so log lines
// scroll above the live line instead of landing inside it.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace fixar::util {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
LogLevel CurrentLogLevel();
void LogLine(LogLevel level, std::string_view line);

// Draws `line` as the live line on stderr (replacing the one shown). It must fit the
// terminal's width: a wrapped line cannot be redrawn in place.
void ShowLiveLine(std::string_view line);
// Ends the live line: keep = true leaves it on the screen as an ordinary line (a newline
// after it), false erases it. Nothing happens when none is shown.
void EndLiveLine(bool keep);

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
