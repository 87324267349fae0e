// A sweep directory and the state of each of its runs.
//
//   grid.toml            the grid (copied by `fixar sweep run`; a different one is refused)
//   base_config.toml     the base training config every fresh run starts from (a copy)
//   provenance.json      who ran the sweep: each invocation's commit, command line, time, host
//   sweep.sbatch         the Slurm array job (--slurm)
//   runs/<name>/         each run's directory (`fixar train --run-dir`)
//   logs/<name>.log      stdout + stderr of every attempt, appended; locked (flock) while one runs
//   logs/<name>.status.json  the last attempt: exit code or signal, interrupted or not, times
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace fixar::sweep {

struct SweepDir {
  explicit SweepDir(const std::filesystem::path& dir);  // made absolute
  std::filesystem::path root;
  std::filesystem::path grid() const { return root / "grid.toml"; }
  std::filesystem::path base_config() const { return root / "base_config.toml"; }
  std::filesystem::path provenance() const { return root / "provenance.json"; }
  std::filesystem::path sbatch() const { return root / "sweep.sbatch"; }
  std::filesystem::path runs() const { return root / "runs"; }
  std::filesystem::path logs() const { return root / "logs"; }
  std::filesystem::path run(const std::string& name) const { return runs() / name; }
  std::filesystem::path log(const std::string& name) const { return logs() / (name + ".log"); }
  std::filesystem::path status(const std::string& name) const { return logs() / (name + ".status.json"); }
};

// How the last attempt at a run ended (logs/<name>.status.json).
struct Attempt {
  int exit_code = 0;         // when it exited
  int signal = 0;            // when a signal ended it (exit_code is then -1)
  bool interrupted = false;  // the sweep forwarded SIGINT/SIGTERM to it
  double elapsed_s = 0;
  std::string started, finished;  // local time, ISO 8601
  bool failed() const { return !interrupted && (exit_code != 0 || signal != 0); }
  std::string describe() const;  // "exit 1", "signal 9", "interrupted (signal 2)"
};
void WriteAttempt(const SweepDir& dir, const std::string& name, const Attempt& a);
std::optional<Attempt> ReadAttempt(const SweepDir& dir, const std::string& name);

enum class RunState { kDone, kRunning, kPartial, kNotStarted, kFailed };
const char* to_string(RunState s);  // "done", "running", "partial", "not started", "failed"

struct RunStatus {
  RunState state = RunState::kNotStarted;
  std::int64_t steps_done = 0;  // the last progress.csv row (the summary's steps once done)
  double last_eval = NAN;       // the last evaluation's mean return
  bool has_checkpoint = false;
  std::string detail;  // how the last attempt ended, if it failed
};

// done: summary.json says `steps` steps (a fixar autoq run: its summary.json lists its searches;
// last_eval is then the first search's best accuracy in %). running: its log is locked by a sweep process, or
// progress.csv changed in the last 10 minutes after the last attempt ended (locks may not
// reach across machines). failed: the last attempt failed. partial: a checkpoint, not running.
RunStatus InspectRun(const SweepDir& dir, const std::string& name, std::int64_t steps);

// Whether another open file description holds an flock on `path` (false if it does not exist).
bool IsLocked(const std::filesystem::path& path);

std::string NowIso();  // local time, e.g. "2026-11-23T14:05:09+0100"

}  // namespace fixar::sweep
