#include "util/log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fixar::util {

LogLevel CurrentLogLevel() {
  static const LogLevel level = [] {
    const char* v = std::getenv("FIXAR_LOG");
    if (!v) return LogLevel::kInfo;
    if (!std::strcmp(v, "debug")) return LogLevel::kDebug;
    if (!std::strcmp(v, "warn")) return LogLevel::kWarn;
    if (!std::strcmp(v, "error")) return LogLevel::kError;
    return LogLevel::kInfo;
  }();
  return level;
}

void LogLine(LogLevel level, std::string_view line) {
  static const char* const kNames[] = {"debug", "info", "warn", "error"};
  std::fprintf(stderr, "[fixar %s] %.*s\n", kNames[static_cast<int>(level)], static_cast<int>(line.size()), line.data());
}

}  // namespace fixar::util
