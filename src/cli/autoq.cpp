// `fixar autoq`: search per-layer (weight, activation) bit widths of a CNN for a ReRAM
// hardware budget with PPO, HAQ's DDPG, random search, uniform bits or per-layer sensitivity
// with an exact knapsack, and compare them
// (src/autoq, docs/autoq.md).
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "autoq/candidate_evaluator.h"
#include "autoq/run.h"
#include "cli/checks.h"
#include "cli/command.h"
#include "kernels/parallel.h"
#ifdef FIXAR_WITH_MPI
#include "autoq/mpi_evaluator.h"
#endif

namespace fixar::cli {
namespace {

struct AutoqArgs {
  std::string config_file, out_dir = "results/autoq/run", target, network, model_config, checkpoint, metric, agents,
                           seeds, candidates, reram_config;
  std::optional<double> budget;
  std::optional<int> episodes, search_steps, final_steps, threads;
  bool no_final = false, quiet = false, mpi_rank0_measures = false;
};

// Runs the search: in one process, or (an MPI build under mpirun with more than one rank)
// with rank 0 running the agents and the other ranks measuring candidates. False on the
// MPI workers (they write nothing).
bool Run(const autoq::RunConfig& c, const AutoqArgs& a, const std::function<void(const std::string&)>& progress) {
  int ranks = 1;
  const bool launched = autoq::mpi::LaunchedByMpi(&ranks);
#ifdef FIXAR_WITH_MPI
  if (launched && ranks > 1) {
    autoq::mpi::Session session;
    if (session.rank() > 0) {  // a worker: the same config, its own target, quiet
      autoq::mpi::ServeCandidates(session, [&] { return autoq::MakeRunTarget(c, a.out_dir, {}, true); });
      return false;
    }
    std::unique_ptr<autoq::mpi::MpiCandidateEvaluator> mpi;
    autoq::RunAutoq(c, a.out_dir, progress, [&](autoq::QuantTarget& target) -> autoq::CandidateEvaluator* {
      if (session.size() < 2) return nullptr;  // the launcher said more ranks than MPI has: serial
      mpi = std::make_unique<autoq::mpi::MpiCandidateEvaluator>(session, target, a.mpi_rank0_measures);
      return mpi.get();
    });
    return true;  // ~Session stops the workers
  }
#else
  if (a.mpi_rank0_measures)
    throw std::invalid_argument(
        "--mpi-rank0-measures: this fixar was built without MPI (FIXAR_WITH_MPI=OFF: MPI not found at configure "
        "time, or turned off; scripts/setup installs Debian's libopenmpi-dev openmpi-bin); valid here: leave the flag "
        "out");
  if (launched && ranks > 1)
    throw std::invalid_argument(fmt::format(
        "started by an MPI launcher as one of {} ranks, but this fixar was built without MPI (FIXAR_WITH_MPI=OFF), so "
        "every rank would run the whole search; valid here: one process (no mpirun, or -np 1), or a build with MPI "
        "(scripts/setup installs libopenmpi-dev openmpi-bin)",
        ranks));
#endif
  autoq::RunAutoq(c, a.out_dir, progress);
  return true;
}

const CommandRegistrar kAutoq(
    "autoq", "Search per-layer bit widths for a ReRAM budget (PPO, HAQ DDPG, random, uniform, sensitivity)",
    [](CLI::App& app) -> std::function<int()> {
      auto a = std::make_shared<AutoqArgs>();
      app.add_option("-c,--config", a->config_file, "TOML config (configs/autoq/*.toml); flags override it");
      app.add_option("-o,--out", a->out_dir, "results directory (created)")->capture_default_str();
      app.add_option("--target", a->target, "synthetic | cnn");
      app.add_option("--network", a->network, "synthetic target's network: lenet5 | vgg_small");
      app.add_option("--model", a->model_config, "cnn target: model config TOML (configs/models/*.toml)");
      app.add_option("--checkpoint", a->checkpoint, "cnn target: trained model, a fixar checkpoint (trained and saved when missing) or an .onnx file");
      app.add_option("--budget", a->budget, "budget as a fraction of the uniform 8/8 cost, in (0, 1]");
      app.add_option("--metric", a->metric, "cost metric of the budget: crossbars | area | energy | latency");
      app.add_option("--reram", a->reram_config, "ReRAM config TOML (default: built-in ISAAC figures)");
      app.add_option("--agent", a->agents, "comma list of ppo, ddpg, random, uniform, sensitivity, or all");
      app.add_option("--episodes", a->episodes, "episodes per search (random: measured assignments)");
      app.add_option("--seed,--seeds", a->seeds, "comma list of seeds; one search per agent and seed");
      app.add_option("--candidates", a->candidates, "comma list of candidate bit widths (default 2..8)");
      app.add_option("--search-finetune-steps", a->search_steps, "cnn: fine-tune steps per measured assignment");
      app.add_option("--final-finetune-steps", a->final_steps, "cnn: fine-tune steps of each search's best");
      app.add_flag("--no-final", a->no_final, "skip the final fine-tune of each search's best");
      IntegerIn(app.add_option("--threads", a->threads, "threads of the CNN's fine-tunes (default: FIXAR_THREADS or all "
                                                        "cores)"),
                1, 256);
      app.add_flag("-q,--quiet", a->quiet, "no progress lines");
      app.add_flag("--mpi-rank0-measures", a->mpi_rank0_measures,
                   "under mpirun: rank 0 also measures candidates when no worker is free (MPI builds only; "
                   "docs/scale-out.md)");
      return [a]() -> int {
        autoq::RunConfig c;
        if (!a->config_file.empty()) c = autoq::RunConfig::Load(a->config_file);
        if (!a->target.empty()) c.target = a->target;
        if (!a->network.empty()) c.network = a->network;
        if (!a->model_config.empty()) c.model_config = a->model_config;
        if (!a->checkpoint.empty()) c.checkpoint = a->checkpoint;
        if (a->budget) c.budget = *a->budget;
        if (!a->metric.empty()) c.metric = autoq::ParseCostMetric(a->metric, "--metric");
        if (!a->reram_config.empty()) c.reram_config = a->reram_config;
        if (!a->agents.empty()) {
          c.agents.clear();
          if (a->agents == "all")
            c.agents = autoq::AllAgents();
          else
            for (const auto& name : SplitCommaList(a->agents)) c.agents.push_back(autoq::ParseAgent(name, "--agent"));
        }
        if (a->episodes) c.search.episodes = *a->episodes;
        if (!a->seeds.empty()) {
          c.seeds.clear();
          for (const auto& s : SplitCommaList(a->seeds))
            c.seeds.push_back(
                static_cast<std::uint64_t>(ParseListInteger(s, "--seeds", 0, std::numeric_limits<long>::max())));
        }
        if (!a->candidates.empty()) {
          c.search.env.candidates.clear();
          for (const auto& s : SplitCommaList(a->candidates))
            c.search.env.candidates.push_back(static_cast<int>(ParseListInteger(s, "--candidates", 1, 16)));
        }
        if (a->search_steps) c.search_finetune_steps = *a->search_steps;
        if (a->final_steps) c.final_finetune_steps = *a->final_steps;
        if (a->no_final) c.final_finetune = false;
        c.Validate();
        CheckOutputDirectory("--out", a->out_dir);
        if (a->threads) kern::SetNumThreads(*a->threads);
        const bool quiet = a->quiet;
        const bool wrote = Run(c, *a, [quiet](const std::string& line) {
          if (!quiet) std::cerr << line << "\n";
        });
        if (wrote) std::cout << fmt::format("report: {}/report.md\n", a->out_dir);
        return 0;
      };
    });

}  // namespace
}  // namespace fixar::cli
