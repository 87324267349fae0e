// `fixar sweep`: a grid of training runs (tasks × precisions × seeds, plus extra cells),
// run by a local process pool or as a Slurm array job, resumable, with a status table.
// The grid format, the backends and the run names: docs/scale-out.md.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <iostream>
#include <map>
#include <memory>

#include "cli/checks.h"
#include "cli/command.h"
#include "sweep/grid.h"
#include "sweep/runner.h"
#include "sweep/sweep_dir.h"

namespace fixar::cli {
namespace {

struct SweepArgs {
  std::string grid, dir, sbatch_args;
  int local = 0, array_throttle = 0, index = -1;
  bool slurm = false, dry_run = false;
};

int RunSweep(const SweepArgs& a) {
  if (a.local < 1 && !a.slurm)
    throw std::invalid_argument(
        "fixar sweep run: say where the runs go: --local N (N at a time on this machine) or --slurm (a Slurm array "
        "job)");
  CheckOutputDirectory("--dir", a.dir);
  const sweep::SweepDir dir(a.dir);
  const sweep::Grid grid = sweep::PrepareSweep(a.grid, dir);
  if (a.slurm) {
    const sweep::SlurmOptions o{a.array_throttle, a.sbatch_args, a.dry_run, ""};
    const std::string job = sweep::SubmitSlurm(grid, dir, o, std::cout);
    sweep::RecordInvocation(dir, a.dry_run ? "slurm (dry run, not submitted)" : "slurm", "slurm_job", job);
    return 0;
  }
  sweep::RecordInvocation(dir, "local", "jobs", std::to_string(a.local));
  return sweep::RunPool(grid, dir, {a.local, "", {}}, std::cout);
}

int RunTask(const SweepArgs& a) {
  const sweep::SweepDir dir(a.dir);
  const sweep::Grid grid = sweep::OpenSweep(dir);
  if (a.index >= static_cast<int>(grid.runs.size()))
    throw std::invalid_argument(fmt::format("fixar sweep task: index {} is out of range: {} has {} runs (0..{})",
                                            a.index, dir.grid().string(), grid.runs.size(), grid.runs.size() - 1));
  return sweep::RunPool(grid, dir, {1, "", {a.index}}, std::cout);
}

std::string Eval(double x) { return std::isfinite(x) ? fmt::format("{:.1f}", x) : std::string("-"); }

int Status(const SweepArgs& a) {
  const sweep::SweepDir dir(a.dir);
  const sweep::Grid grid = sweep::OpenSweep(dir, /*check_configs=*/false);
  std::size_t width = 3;
  for (const auto& r : grid.runs) width = std::max(width, r.name.size());
  std::cout << fmt::format("sweep {} in {}: {} runs of {} steps\n", grid.name, dir.root.string(), grid.runs.size(),
                           grid.steps)
            << fmt::format("{:>4}  {:<{}}  {:<11}  {:>11}  {:>6}  {:>10}\n", "#", "run", width, "state", "steps",
                           "done", "last eval");
  std::map<sweep::RunState, int> count;
  std::int64_t steps_done = 0;
  for (const auto& r : grid.runs) {
    const sweep::RunStatus s = sweep::InspectRun(dir, r.name, grid.steps);
    ++count[s.state];
    steps_done += std::min(s.steps_done, grid.steps);
    const std::string note =
        s.state == sweep::RunState::kFailed ? fmt::format("{}; log: {}", s.detail, dir.log(r.name).string()) : "";
    std::string line = fmt::format("{:>4}  {:<{}}  {:<11}  {:>11}  {:>5.1f}%  {:>10}  {}", r.index, r.name, width,
                                   sweep::to_string(s.state), s.steps_done, 100.0 * s.steps_done / grid.steps,
                                   Eval(s.last_eval), note);
    std::cout << line.erase(line.find_last_not_of(' ') + 1) << "\n";
  }
  const double total = static_cast<double>(grid.steps) * static_cast<double>(grid.runs.size());
  std::cout << fmt::format(
      "total: {} done, {} running, {} partial, {} not started, {} failed; {} of {:.0f} steps "
      "({:.1f}%)\n",
      count[sweep::RunState::kDone], count[sweep::RunState::kRunning], count[sweep::RunState::kPartial],
      count[sweep::RunState::kNotStarted], count[sweep::RunState::kFailed], steps_done, total,
      100.0 * steps_done / total);
  return 0;
}

int List(const SweepArgs& a) {
  const sweep::Grid grid = sweep::LoadGrid(a.grid);
  const std::string dir = a.dir.empty() ? "SWEEP_DIR" : sweep::SweepDir(a.dir).root.string();
  std::cout << fmt::format("sweep {}: {} runs of {} steps, {} thread{} each, from {}\n", grid.name, grid.runs.size(),
                           grid.steps, grid.threads, grid.threads == 1 ? "" : "s", grid.config);
  for (const auto& r : grid.runs) {
    std::string cmd = "fixar";
    for (const auto& arg : sweep::RunArgs(grid, r, grid.config, dir + "/runs/" + r.name, false)) cmd += " " + arg;
    std::cout << fmt::format("{:>4}  {}  ({})\n      {}\n", r.index, r.name, r.origin, cmd);
  }
  return 0;
}

void AddRun(CLI::App& app, SweepArgs& a) {
  auto* run = app.add_subcommand("run", "Run a grid's unfinished runs: --local N on this machine, or --slurm");
  run->add_option("grid", a.grid, "Grid file (TOML, [sweep] table; docs/scale-out.md)")
      ->required()
      ->check(CLI::ExistingFile);
  run->add_option("--dir", a.dir, "Sweep directory (grid.toml, runs/, logs/ …); created if missing")->required();
  auto* local =
      run->add_option("--local", a.local, "Run on this machine, N runs at a time")->check(CLI::Range(1, 4096));
  auto* slurm = run->add_flag("--slurm", a.slurm, "Write sweep.sbatch (one array task per run) and submit it");
  local->excludes(slurm);
  run->add_option("--array-throttle", a.array_throttle, "At most K array tasks at once (--array=0-(n-1)%K)")
      ->needs(slurm)
      ->check(CLI::Range(1, 1000000));
  run->add_option("--sbatch-args", a.sbatch_args, "Extra sbatch arguments, e.g. \"--partition=cpu --time=48:00:00\"")
      ->needs(slurm);
  run->add_flag("--dry-run", a.dry_run, "With --slurm: write sweep.sbatch, do not submit")->needs(slurm);
}

const CommandRegistrar kSweep(
    "sweep", "Grids of training runs on this machine or a Slurm cluster: run, task, status, list",
    [](CLI::App& app) -> std::function<int()> {
      auto a = std::make_shared<SweepArgs>();
      app.require_subcommand(1);
      AddRun(app, *a);
      auto* task = app.add_subcommand("task", "Run one run of a sweep directory (a Slurm array task's body)");
      task->add_option("sweep_dir", a->dir, "Sweep directory")->required()->check(CLI::ExistingDirectory);
      IntegerIn(task->add_option("index", a->index, "Run index (grid order; `fixar sweep list`)"), 0,
                std::numeric_limits<int>::max())
          ->required();
      auto* status = app.add_subcommand("status", "Each run's state, steps and last evaluation");
      status->add_option("sweep_dir", a->dir, "Sweep directory")->required()->check(CLI::ExistingDirectory);
      auto* list = app.add_subcommand("list", "Print the runs a grid expands to, with their commands");
      list->add_option("grid", a->grid, "Grid file")->required()->check(CLI::ExistingFile);
      list->add_option("--dir", a->dir, "Sweep directory to show in the commands");
      return [a, app_ptr = &app]() {
        if (app_ptr->got_subcommand("run")) return RunSweep(*a);
        if (app_ptr->got_subcommand("task")) return RunTask(*a);
        if (app_ptr->got_subcommand("status")) return Status(*a);
        return List(*a);
      };
    });

}  // namespace
}  // namespace fixar::cli
