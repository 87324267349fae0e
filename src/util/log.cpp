#include "util/log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace fixar::util {
namespace {

// The live line and the lock that keeps its drawing and the log lines from interleaving.
struct LiveLine {
  std::mutex mutex;
  std::string text;
  bool shown = false;
};
LiveLine& live() {
  static LiveLine* l = new LiveLine;  // never destroyed: logging may happen during static destruction
  return *l;
}

constexpr char kClear[] = "\r\033[K";  // to the line's start, erase to its end

}  // namespace

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
  LiveLine& l = live();
  std::lock_guard lock(l.mutex);
  if (l.shown) std::fputs(kClear, stderr);
  std::fprintf(stderr, "[fixar %s] %.*s\n", kNames[static_cast<int>(level)], static_cast<int>(line.size()), line.data());
  if (l.shown) std::fputs(l.text.c_str(), stderr);
  std::fflush(stderr);
}

void ShowLiveLine(std::string_view line) {
  LiveLine& l = live();
  std::lock_guard lock(l.mutex);
  l.text.assign(line);
  l.shown = true;
  std::fprintf(stderr, "%s%s", kClear, l.text.c_str());
  std::fflush(stderr);
}

void EndLiveLine(bool keep) {
  LiveLine& l = live();
  std::lock_guard lock(l.mutex);
  if (!l.shown) return;
  l.shown = false;
  std::fputs(keep ? "\n" : kClear, stderr);
  std::fflush(stderr);
}

}  // namespace fixar::util
