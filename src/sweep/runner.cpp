// Preparing a sweep directory, its provenance, and the Slurm backend (the local pool is in
// pool.cpp).
#include "sweep/runner.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "rl/config.h"
#include "sweep/process.h"
#include "util/build_info.h"

namespace fixar::sweep {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("cannot read '{}'", path.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Keys whose resolved values differ between two training configs ("ddpg.batch_size: 64 before, 128 now").
std::vector<std::string> ConfigDifferences(const fs::path& before, const fs::path& now) {
  std::istringstream a(rl::LoadTrainConfig(before.string()).ToToml()), b(rl::LoadTrainConfig(now.string()).ToToml());
  std::vector<std::string> d;
  std::string la, lb, section;
  while (std::getline(a, la) && std::getline(b, lb)) {
    if (la.rfind('[', 0) == 0) section = la.substr(1, la.find(']') - 1) + ".";
    if (la != lb) d.push_back(fmt::format("{}'{}' before, '{}' now", section, la, lb));
  }
  return d;
}

void CheckSameGrid(const std::string& grid_path, const Grid& g, const SweepDir& dir) {
  const Grid old = ParseGrid(ReadText(dir.grid()), dir.grid().string());
  const auto diffs = GridDifferences(old, g);
  if (!diffs.empty())
    throw std::invalid_argument(fmt::format(
        "{} holds a different grid than {}: {}; use another --dir for a new sweep, or move {} away if you mean to "
        "change this one",
        dir.grid().string(), grid_path, fmt::join(diffs, "; "), dir.grid().string()));
}

// An autoq config has no resolved form to compare: its lines are compared, comments and
// blank lines aside ("line 'budget = 0.5' before, 'budget = 0.34' now").
std::vector<std::string> TextDifferences(const fs::path& before, const fs::path& now) {
  auto lines = [](const fs::path& p) {
    std::vector<std::string> out;
    std::istringstream in(ReadText(p));
    for (std::string line; std::getline(in, line);) {
      line = line.substr(0, line.find('#'));
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (!line.empty()) out.push_back(line);
    }
    return out;
  };
  const auto a = lines(before), b = lines(now);
  std::vector<std::string> d;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string x = i < a.size() ? a[i] : "(none)", y = i < b.size() ? b[i] : "(none)";
    if (x != y) d.push_back(fmt::format("line '{}' before, '{}' now", x, y));
  }
  return d;
}

void CheckSameBaseConfig(const Grid& g, const SweepDir& dir) {
  const auto diffs = g.kind == GridKind::kAutoq ? TextDifferences(dir.base_config(), g.config)
                                                : ConfigDifferences(dir.base_config(), g.config);
  if (!diffs.empty())
    throw std::invalid_argument(fmt::format(
        "the base config {} changed since this sweep began ({} is the copy its runs start from): {}; use another "
        "--dir, or move {} away if the sweep's unstarted runs should take the new one",
        g.config, dir.base_config().string(), fmt::join(diffs, "; "), dir.base_config().string()));
}

std::string HostName() {
  char host[256] = {};
  return ::gethostname(host, sizeof host - 1) == 0 ? std::string(host) : std::string("unknown");
}

}  // namespace

Grid PrepareSweep(const std::string& grid_path, const SweepDir& dir) {
  Grid g = LoadGrid(grid_path);
  fs::create_directories(dir.runs());
  fs::create_directories(dir.logs());
  if (fs::exists(dir.grid()))
    CheckSameGrid(grid_path, g, dir);
  else
    fs::copy_file(grid_path, dir.grid());
  if (fs::exists(dir.base_config()))
    CheckSameBaseConfig(g, dir);
  else
    fs::copy_file(g.config, dir.base_config());
  return g;
}

Grid OpenSweep(const SweepDir& dir, bool check_configs) {
  if (!fs::exists(dir.grid()))
    throw std::invalid_argument(fmt::format(
        "'{}' is not a sweep directory (it has no grid.toml); start one with `fixar sweep run GRID.toml --dir {}`",
        dir.root.string(), dir.root.string()));
  if (!check_configs) return ParseGrid(ReadText(dir.grid()), dir.grid().string());
  return LoadGrid(dir.grid().string(), dir.base_config().string());
}

void RecordInvocation(const SweepDir& dir, const std::string& backend, const std::string& extra_key,
                      const std::string& extra_value) {
  nlohmann::json p = nlohmann::json::object();
  if (std::ifstream in(dir.provenance()); in) p = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!p.is_object() || !p.contains("invocations") || !p["invocations"].is_array())
    p = {{"invocations", nlohmann::json::array()}};
  const util::BuildInfo& b = util::GetBuildInfo();
  const auto argv = proc::SelfCommandLine();
  nlohmann::json inv = {
      {"started", NowIso()},
      {"commit", b.commit},
      {"dirty", b.dirty},
      {"build", b.describe()},
      {"binary", proc::SelfExe()},
      {"command", argv.empty() ? std::string() : proc::CommandLine(argv[0], {argv.begin() + 1, argv.end()})},
      {"cwd", fs::current_path().string()},
      {"host", HostName()},
      {"backend", backend}};
  if (!extra_key.empty()) inv[extra_key] = extra_value;
  p["invocations"].push_back(inv);
  const fs::path tmp = dir.provenance().string() + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << p.dump(2) << "\n";
  fs::rename(tmp, dir.provenance());
}

std::string SbatchScript(const Grid& g, const SweepDir& dir, const SlurmOptions& o) {
  const std::string exe = o.exe.empty() ? proc::SelfExe() : o.exe;
  const std::size_t n = g.runs.size();
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# fixar sweep '{}': {} runs, one Slurm array task each (written by `fixar sweep run --slurm`).\n",
                   g.name, n);
  s += "# Task i runs run i of grid.toml (`fixar sweep list grid.toml` lists them), resuming it from its\n";
  s += "# checkpoint when it has one and skipping it when it is done; `fixar sweep status` shows progress.\n";
  s += fmt::format("#SBATCH --job-name=fixar-{}\n", g.name);
  s += fmt::format("#SBATCH --array=0-{}{}\n", n - 1, o.array_throttle > 0 ? fmt::format("%{}", o.array_throttle) : "");
  s += "#SBATCH --requeue\n";
  s += fmt::format("#SBATCH --cpus-per-task={}\n", g.threads);
  s += fmt::format("#SBATCH --output={}\n", (dir.logs() / "slurm-%A_%a.log").string());
  s += "#SBATCH --open-mode=append\n";  // a requeued task keeps its log name; without this it truncates it
  s += "set -euo pipefail\n";
  s += fmt::format("cd {}\n", proc::ShellQuote(fs::current_path().string()));
  s += fmt::format("exec {} sweep task {} \"$SLURM_ARRAY_TASK_ID\"\n", proc::ShellQuote(exe),
                   proc::ShellQuote(dir.root.string()));
  return s;
}

std::string SubmitSlurm(const Grid& g, const SweepDir& dir, const SlurmOptions& o, std::ostream& out) {
  fs::create_directories(dir.logs());
  std::ofstream(dir.sbatch(), std::ios::trunc) << SbatchScript(g, dir, o);
  fs::permissions(dir.sbatch(), fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  std::vector<std::string> args = proc::SplitShellWords(o.sbatch_args);
  args.push_back(dir.sbatch().string());
  const std::string command = proc::CommandLine("sbatch", args);
  if (o.dry_run) {
    out << fmt::format("wrote {} ({} array tasks); not submitted (--dry-run); submit with:\n  {}\n",
                       dir.sbatch().string(), g.runs.size(), command);
    return "";
  }
  const std::string sbatch = proc::FindOnPath("sbatch");
  if (sbatch.empty())
    throw std::runtime_error(fmt::format(
        "sbatch is not on PATH ({}): --slurm submits from a Slurm login node; {} is written, and --dry-run only "
        "writes it",
        std::getenv("PATH") ? std::getenv("PATH") : "unset", dir.sbatch().string()));
  const proc::Captured c = proc::RunCaptured(sbatch, args);
  if (c.exit_code != 0)
    throw std::runtime_error(fmt::format("`{}` failed (exit {}): {}", command, c.exit_code, c.output));
  std::smatch m;
  std::string job = std::regex_search(c.output, m, std::regex("([0-9]+)")) ? m[1].str() : c.output;
  out << fmt::format("submitted {}: job {}, {} array tasks{}; progress: fixar sweep status {}\n", dir.sbatch().string(),
                     job, g.runs.size(),
                     o.array_throttle > 0 ? fmt::format(", at most {} at once", o.array_throttle) : "",
                     dir.root.string());
  return job;
}

}  // namespace fixar::sweep
