// Running a sweep: preparing its directory, a local pool of child processes, one run as a
// Slurm array task, and the Slurm array job itself. docs/scale-out.md.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sweep/grid.h"
#include "sweep/sweep_dir.h"

namespace fixar::sweep {

// Loads and checks `grid_path`, then makes `dir` its sweep directory: copies the grid to
// grid.toml and its base config to base_config.toml, or, when they are already there,
// checks they describe the same runs (throws std::invalid_argument naming the differences).
Grid PrepareSweep(const std::string& grid_path, const SweepDir& dir);

// The grid of an existing sweep directory; with `check_configs`, its runs are checked
// against base_config.toml as LoadGrid does (status reads it without).
Grid OpenSweep(const SweepDir& dir, bool check_configs = true);

// Appends this invocation (commit, command line, cwd, host, time, backend, `extra`) to
// provenance.json's "invocations".
void RecordInvocation(const SweepDir& dir, const std::string& backend, const std::string& extra_key = "",
                      const std::string& extra_value = "");

struct PoolOptions {
  int jobs = 1;           // concurrent runs
  std::string exe;        // the fixar binary to run (default: this one)
  std::vector<int> only;  // run only these indices (default: all)
};
// Runs every unfinished run (grid order), `jobs` at a time, each as `fixar train` with its
// output appended to logs/<name>.log; prints a line per start and finish to `out`.
// SIGINT/SIGTERM are forwarded to the runs, which are then waited for. Returns 0 when
// every run finished, 1 when one failed (named with its log), 128 + signal when interrupted.
int RunPool(const Grid& grid, const SweepDir& dir, const PoolOptions& options, std::ostream& out);

struct SlurmOptions {
  int array_throttle = 0;   // %K: at most K array tasks at once (0: no limit)
  std::string sbatch_args;  // extra arguments for sbatch, e.g. "--partition=cpu --time=48:00:00"
  bool dry_run = false;     // write sweep.sbatch only
  std::string exe;          // the fixar binary the tasks run (default: this one)
};
// The array job script: task i runs `fixar sweep task DIR i`.
std::string SbatchScript(const Grid& grid, const SweepDir& dir, const SlurmOptions& options);
// Writes sweep.sbatch and submits it with sbatch (unless dry_run); returns the job id
// ("" for a dry run). Throws std::runtime_error when sbatch is missing or fails.
std::string SubmitSlurm(const Grid& grid, const SweepDir& dir, const SlurmOptions& options, std::ostream& out);

}  // namespace fixar::sweep
