#include "cli/checks.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#ifdef FIXAR_HAVE_KERNELS
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#endif

namespace fixar::cli {
namespace {

namespace fs = std::filesystem;

std::set<const CLI::Option*>& ExplicitlyChecked() {
  static std::set<const CLI::Option*> options;
  return options;
}

// "" when `s` is a decimal integer in lo..hi, else why not.
template <typename T>
std::string CheckInteger(const std::string& s, T lo, T hi) {
  const std::string valid = fmt::format("valid: an integer in {}..{}", lo, hi);
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  bool digits = false;
  if (begin != end && *begin == '+') {  // from_chars takes no '+'
    ++begin;
    digits = begin != end && std::isdigit(static_cast<unsigned char>(*begin));
  } else if (begin != end) {
    const char* first = *begin == '-' ? begin + 1 : begin;
    digits = first != end && std::isdigit(static_cast<unsigned char>(*first));
  }
  if (!digits) return fmt::format("'{}' is not an integer; {}", s, valid);
  if (std::is_unsigned_v<T> && *begin == '-') return fmt::format("'{}' is out of range; {}", s, valid);
  T v{};
  const auto [at, err] = std::from_chars(begin, end, v);
  if (err == std::errc::result_out_of_range) return fmt::format("'{}' is out of range; {}", s, valid);
  if (err != std::errc() || at != end) return fmt::format("'{}' is not an integer; {}", s, valid);
  if (v < lo || v > hi) return fmt::format("'{}' is out of range; {}", s, valid);
  return "";
}

std::string CheckReal(const std::string& s) {
  const std::string valid = "valid: a finite number";
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front())))
    return fmt::format("'{}' is not a number; {}", s, valid);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return fmt::format("'{}' is not a number; {}", s, valid);
  if (!std::isfinite(v) || (errno == ERANGE && std::fabs(v) > 1))
    return fmt::format("'{}' is out of range; {}", s, valid);
  return "";
}

template <typename T>
CLI::Validator IntegerValidator(T lo, T hi) {
  // No description: the help keeps showing the option as "INT".
  return CLI::Validator([lo, hi](std::string& s) { return CheckInteger<T>(s, lo, hi); }, "");
}

void Harden(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) {
    if (ExplicitlyChecked().contains(o)) continue;
    std::string type = o->get_type_name();
    type = type.substr(0, type.find(':'));
    if (type == "INT")
      o->check(IntegerValidator<std::int64_t>(std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
    else if (type == "UINT")
      o->check(IntegerValidator<std::uint64_t>(0, std::numeric_limits<std::uint64_t>::max()));
    else if (type == "FLOAT")
      o->check(CLI::Validator([](std::string& s) { return CheckReal(s); }, ""));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) Harden(*sub);
}

// The nearest existing ancestor of `p` (itself if it exists); "." for a relative path none
// of whose parts exists.
fs::path NearestExisting(fs::path p) {
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  return p.empty() ? fs::path(".") : p;
}

}  // namespace

CLI::Option* IntegerIn(CLI::Option* o, std::int64_t lo, std::int64_t hi) {
  ExplicitlyChecked().insert(o);
  return o->check(IntegerValidator<std::int64_t>(lo, hi));
}

void StrictNumbers(CLI::App& app) { Harden(app); }

void CheckOutputFile(const std::string& flag, const std::string& path) {
  if (path.empty()) return;
  const fs::path p = path;
  std::error_code ec;
  if (fs::is_directory(p, ec))
    throw std::invalid_argument(fmt::format("{} '{}' is a directory; give a file path", flag, path));
  const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::exists(parent, ec))
    throw std::invalid_argument(
        fmt::format("{} '{}': the directory '{}' does not exist; create it first", flag, path, parent.string()));
  if (!fs::is_directory(parent, ec))
    throw std::invalid_argument(fmt::format("{} '{}': '{}' is not a directory", flag, path, parent.string()));
  if (fs::exists(p, ec) ? ::access(path.c_str(), W_OK) != 0 : ::access(parent.c_str(), W_OK | X_OK) != 0)
    throw std::invalid_argument(
        fmt::format("{} '{}' cannot be written: {}", flag, path, std::strerror(errno)));
}

void CheckOutputDirectory(const std::string& flag, const std::string& path) {
  if (path.empty()) throw std::invalid_argument(fmt::format("{} is empty; give a directory", flag));
  std::error_code ec;
  const fs::path p = path;
  if (fs::exists(p, ec) && !fs::is_directory(p, ec))
    throw std::invalid_argument(fmt::format("{} '{}' is a file, not a directory", flag, path));
  const fs::path base = NearestExisting(p);
  if (!fs::is_directory(base, ec))
    throw std::invalid_argument(
        fmt::format("{} '{}' cannot be created: '{}' is not a directory", flag, path, base.string()));
  if (::access(base.c_str(), W_OK | X_OK) != 0)
    throw std::invalid_argument(
        fmt::format("{} '{}' cannot be written: '{}': {}", flag, path, base.string(), std::strerror(errno)));
}

void WriteOutputFile(const std::string& flag, const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error(fmt::format("{} '{}' cannot be written: {}", flag, path, std::strerror(errno)));
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (std::fflush(f) == 0) && ok;
  const int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    throw std::runtime_error(
        fmt::format("{} '{}': writing failed: {}", flag, path, std::strerror(err != 0 ? err : errno)));
}

std::vector<std::string> SplitCommaList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

long ParseListInteger(const std::string& item, const char* flag, long lo, long hi) {
  std::size_t used = 0;
  long v = 0;
  try {
    v = std::stol(item, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != item.size() || item.empty())
    throw std::invalid_argument(fmt::format("{} entry '{}' is not an integer; valid: {}..{}", flag, item, lo, hi));
  if (v < lo || v > hi)
    throw std::invalid_argument(fmt::format("{} entry {} is invalid; valid: {}..{}", flag, v, lo, hi));
  return v;
}

double ParseListReal(const std::string& item, const char* flag) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(item, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != item.size() || item.empty() || !std::isfinite(v))
    throw std::invalid_argument(fmt::format("{} entry '{}' is not a finite number", flag, item));
  return v;
}

void CheckEnvironment() {
  // util/log.cpp reads FIXAR_LOG; these are the levels it knows.
  if (const char* v = std::getenv("FIXAR_LOG"); v != nullptr && *v != '\0') {
    const std::string s = v;
    if (s != "debug" && s != "info" && s != "warn" && s != "error")
      throw std::invalid_argument(
          fmt::format("FIXAR_LOG='{}' is not a log level; valid: debug, info, warn, error", s));
  }
#ifdef FIXAR_HAVE_KERNELS
  kern::NumThreads();  // FIXAR_THREADS (throws naming it, its value and 1..256)
  kern::ActivePath();  // FIXAR_KERNEL_PATH (throws naming it and the valid paths)
#endif
}

}  // namespace fixar::cli
