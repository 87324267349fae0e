#include "sweep/sweep_dir.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

namespace fixar::sweep {

namespace fs = std::filesystem;

SweepDir::SweepDir(const fs::path& dir) : root(fs::absolute(dir).lexically_normal()) {
  if (!root.has_filename()) root = root.parent_path();  // "a/b/" -> "a/b"
}

std::string Attempt::describe() const {
  if (interrupted) return signal ? fmt::format("interrupted (signal {})", signal) : "interrupted";
  return signal ? fmt::format("signal {}", signal) : fmt::format("exit {}", exit_code);
}

void WriteAttempt(const SweepDir& dir, const std::string& name, const Attempt& a) {
  const nlohmann::json j = {{"exit_code", a.exit_code}, {"signal", a.signal},   {"interrupted", a.interrupted},
                            {"elapsed_s", a.elapsed_s}, {"started", a.started}, {"finished", a.finished}};
  const fs::path path = dir.status(name), tmp = path.string() + ".tmp";
  fs::create_directories(dir.logs());
  std::ofstream(tmp, std::ios::trunc) << j.dump(2) << "\n";
  fs::rename(tmp, path);
}

std::optional<Attempt> ReadAttempt(const SweepDir& dir, const std::string& name) {
  std::ifstream in(dir.status(name));
  if (!in) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  Attempt a;
  a.exit_code = j.value("exit_code", 0);
  a.signal = j.value("signal", 0);
  a.interrupted = j.value("interrupted", false);
  a.elapsed_s = j.value("elapsed_s", 0.0);
  a.started = j.value("started", "");
  a.finished = j.value("finished", "");
  return a;
}

const char* to_string(RunState s) {
  switch (s) {
    case RunState::kDone:
      return "done";
    case RunState::kRunning:
      return "running";
    case RunState::kPartial:
      return "partial";
    case RunState::kNotStarted:
      return "not started";
    case RunState::kFailed:
      return "failed";
  }
  return "?";
}

bool IsLocked(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool locked = false;
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
    ::flock(fd, LOCK_UN);
  else
    locked = errno == EWOULDBLOCK;
  ::close(fd);
  return locked;
}

std::string NowIso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  return buf;
}

namespace {

// The first `n` comma-separated fields of a progress.csv row (numbers, never quoted there).
std::vector<std::string> Fields(const std::string& line, std::size_t n) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (out.size() < n && pos <= line.size()) {
    const auto comma = line.find(',', pos);
    out.push_back(line.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

// Steps of the last row and the last evaluation mean (column 5, filled on evaluation rows).
void ReadProgress(const fs::path& csv, RunStatus& s) {
  std::ifstream in(csv);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header || line.empty()) {
      header = false;
      continue;
    }
    const auto f = Fields(line, 5);
    try {
      s.steps_done = std::stoll(f.at(0));
      if (f.size() == 5 && !f[4].empty()) s.last_eval = std::stod(f[4]);
    } catch (const std::exception&) {  // a row cut short by a crash: keep the last good one
    }
  }
}

bool ReadSummary(const fs::path& path, std::int64_t steps, RunStatus& s) {
  std::ifstream in(path);
  if (!in) return false;
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("searches") && j["searches"].is_array()) {  // fixar autoq: written at the end
    if (j["searches"].empty()) return false;
    s.steps_done = steps;
    const nlohmann::json& first = j["searches"][0];
    if (first.contains("best") && first["best"].is_object() && first["best"].contains("accuracy") &&
        first["best"]["accuracy"].is_number())
      s.last_eval = 100.0 * first["best"]["accuracy"].get<double>();
    return true;
  }
  if (!j.is_object() || !j.contains("steps") || !j["steps"].is_number_integer()) return false;
  if (j["steps"].get<std::int64_t>() != steps) return false;
  s.steps_done = steps;
  if (j.contains("final_eval_mean") && j["final_eval_mean"].is_number())
    s.last_eval = j["final_eval_mean"].get<double>();
  return true;
}

// progress.csv written within the last 10 minutes and after the last attempt ended.
bool RecentProgress(const SweepDir& dir, const std::string& name) {
  std::error_code ec;
  const auto written = fs::last_write_time(dir.run(name) / "progress.csv", ec);
  if (ec) return false;
  if (fs::file_time_type::clock::now() - written > std::chrono::minutes(10)) return false;
  const auto ended = fs::last_write_time(dir.status(name), ec);
  return ec || written > ended;
}

}  // namespace

RunStatus InspectRun(const SweepDir& dir, const std::string& name, std::int64_t steps) {
  RunStatus s;
  const fs::path run = dir.run(name);
  s.has_checkpoint = fs::exists(run / "checkpoint.bin");
  ReadProgress(run / "progress.csv", s);
  if (ReadSummary(run / "summary.json", steps, s)) {
    s.state = RunState::kDone;
    return s;
  }
  const auto attempt = ReadAttempt(dir, name);
  if (IsLocked(dir.log(name)) || RecentProgress(dir, name))
    s.state = RunState::kRunning;
  else if (attempt && attempt->failed())
    s.state = RunState::kFailed;
  else
    s.state = s.has_checkpoint ? RunState::kPartial : RunState::kNotStarted;
  if (attempt && s.state == RunState::kFailed) s.detail = attempt->describe();
  return s;
}

}  // namespace fixar::sweep
