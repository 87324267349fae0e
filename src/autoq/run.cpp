#include "autoq/run.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "accel/reram/config.h"
#include "autoq/cnn_target.h"
#include "autoq/results.h"

namespace fixar::autoq {

// ---------------------------------------------------------------- run

std::unique_ptr<QuantTarget> MakeRunTarget(const RunConfig& c, const std::filesystem::path& out_dir,
                                           const std::function<void(const std::string&)>& progress,
                                           bool require_checkpoint) {
  if (c.target == "synthetic") return MakeSyntheticTarget({.network = c.network, .seed = 1});
  CnnTargetOptions o;
  o.model_config = c.model_config;
  o.checkpoint = c.checkpoint.empty() ? out_dir / "trained_model.bin" : std::filesystem::path(c.checkpoint);
  if (require_checkpoint && !std::filesystem::exists(o.checkpoint))
    throw std::invalid_argument(fmt::format(
        "cnn target: checkpoint {} does not exist here; valid: the model rank 0 trained or loaded, at the same path "
        "on every node (a shared file system, or copied there)",
        o.checkpoint.string()));
  if (!c.data_dir.empty()) o.data_dir = c.data_dir;
  o.validation_size = static_cast<std::size_t>(c.validation_size);
  o.search_validation_images = static_cast<std::size_t>(c.search_validation_images);
  o.search_finetune = CnnTargetOptions::Finetune(c.search_finetune_steps, c.search_finetune_batch,
                                                 static_cast<std::size_t>(c.search_finetune_subset), c.finetune_lr);
  o.final_finetune = CnnTargetOptions::Finetune(c.final_finetune_steps, c.final_finetune_batch, 0, c.finetune_lr);
  o.log = progress;
  return MakeCnnTarget(o);
}

namespace {

std::string SensitivityLine(const SensitivityOutcome& s, const SearchResult& r) {
  if (!s.message.empty())
    return fmt::format("[sensitivity] nothing chosen ({} measurements): {}", r.measurements, s.message);
  return fmt::format(
      "[sensitivity] {} probes + reference + final: {} measurements, {} cache hits, {:.1f} s; exact knapsack "
      "{:.2f} ms ({} partial selections at most): {} predicted {:.2f} % (reference {:.2f} %, Σ drops {:.2f} points), "
      "measured {:.2f} % at {:.4f}",
      ProbeCount(s.table.choices), r.measurements, r.cache_hits, r.wall_seconds, 1e3 * s.solution.seconds,
      s.solution.max_states, FormatBits(s.chosen), 100 * s.predicted_accuracy, 100 * s.table.reference_accuracy,
      100 * s.solution.value, r.best ? 100 * r.best->accuracy : NAN, r.best ? r.best->cost_ratio : NAN);
}

// What every search of a run shares.
struct SearchContext {
  const RunConfig& config;
  QuantTarget& target;
  const reram::CostModel& cost_model;
  CandidateEvaluator* measurer;
  const std::vector<std::vector<layers::LayerBits>>& choices;  // the sensitivity agent's probes
  const std::function<void(const std::string&)>& say;
};

// Every `every`-th episode (measured ones for random): the search so far.
void ReportEpisodes(Evaluator& ev, Agent agent, std::uint64_t seed, int total, const std::function<void(const std::string&)>& say) {
  const int every = std::max(1, total / (agent == Agent::kSensitivity ? 20 : 10));
  ev.on_record = [&ev, agent, seed, total, every, &say](const Evaluation& e) {
    if ((e.episode + 1) % every != 0 || (agent == Agent::kRandom && !e.measured)) return;
    const Evaluation* best = ev.Best();
    say(fmt::format("[{} seed {}] {} {:>4}/{}  best {}  measurements {}  cache hits {}  {:.1f} s", to_string(agent),
                    seed, agent == Agent::kSensitivity ? "measurement" : "episode", e.episode + 1, total,
                    best ? fmt::format("{:.2f} % at {:.3f}", 100 * best->accuracy, best->cost_ratio)
                         : std::string("none within budget yet"),
                    ev.measurements(), ev.cache_hits(), ev.elapsed_seconds()));
  };
}

// One agent's search with one seed, then the long fine-tune of its best; appended to `out`.
void RunOneSearch(const SearchContext& ctx, SearchOptions o, RunOutcome& out) {
  const RunConfig& c = ctx.config;
  const Agent agent = o.agent;
  const std::uint64_t seed = o.seed;
  Evaluator ev(ctx.target, ctx.cost_model, c.metric, c.budget);
  ev.set_candidate_evaluator(ctx.measurer);
  const int total = agent == Agent::kUniform       ? static_cast<int>(o.env.candidates.size())
                    : agent == Agent::kSensitivity ? CountProbes(ctx.choices) + 2
                                                   : o.episodes;
  ReportEpisodes(ev, agent, seed, total, ctx.say);
  SearchResult r = RunSearch(ev, o);
  if (r.sensitivity) ctx.say(SensitivityLine(*r.sensitivity, r));
  double final_acc = std::numeric_limits<double>::quiet_NaN();
  if (r.best && c.final_finetune) {
    ctx.say(fmt::format("[{} seed {}] final fine-tune of {}", to_string(agent), seed, FormatBits(r.best->bits)));
    final_acc = ctx.target.FinalAccuracy(r.best->bits);
  }
  ctx.say(fmt::format("[{} seed {}] done: best {} ({}), final {}, {} measurements, {} cache hits, {:.1f} s search",
                      to_string(agent), seed,
                      r.best ? fmt::format("{:.2f} % at {:.3f} {}", 100 * r.best->accuracy, r.best->cost_ratio,
                                           to_string(c.metric))
                             : std::string("none within budget"),
                      r.best ? FormatBits(r.best->bits) : "-",
                      std::isfinite(final_acc) ? fmt::format("{:.2f} %", 100 * final_acc) : std::string("n/a"),
                      r.measurements, r.cache_hits, r.wall_seconds));
  out.searches.push_back({std::move(r), seed, final_acc, ev.records()});
}

// The agents in run order: PPO first, so that random can match its measurement count.
std::vector<Agent> RunOrder(std::vector<Agent> agents) {
  std::stable_sort(agents.begin(), agents.end(), [](Agent a, Agent b) { return a == Agent::kPpo && b != Agent::kPpo; });
  return agents;
}

}  // namespace

RunOutcome SearchAll(const RunConfig& c, const std::filesystem::path& out_dir,
                     const std::function<void(const std::string&)>& progress,
                     const CandidateEvaluatorFactory& candidates,
                     const std::function<void(const RunOutcome&)>& after_each_search) {
  c.Validate();
  const std::function<void(const std::string&)> say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  std::filesystem::create_directories(out_dir);
  const reram::CostModel cost_model(c.reram_config.empty() ? reram::ReramConfig::Isaac()
                                                           : reram::load_reram_config(c.reram_config));
  std::unique_ptr<QuantTarget> target = MakeRunTarget(c, out_dir, progress);
  CandidateEvaluator* measurer = candidates ? candidates(*target) : nullptr;
  if (measurer) say(fmt::format("candidates measured by {}", measurer->describe()));
  RunOutcome out;
  {
    Evaluator probe(*target, cost_model, c.metric, c.budget);
    out.float_accuracy = probe.float_accuracy();
  }
  out.target_name = target->name();
  out.layers = target->layers();
  say(fmt::format("target {}: {} weight layers, float accuracy {:.2f} % (validation); budget {:.3f} of the 8/8 {}",
                  target->name(), target->layers().size(), 100 * out.float_accuracy, c.budget, to_string(c.metric)));

  std::map<std::uint64_t, std::int64_t> ppo_measurements;  // per seed, for random_matches_ppo
  out.agents = RunOrder(c.agents);
  const auto choices =
      AllowedChoices(static_cast<int>(target->layers().size()), c.search.env.candidates, c.search.sensitivity);
  const SearchContext ctx{c, *target, cost_model, measurer, choices, say};
  for (Agent agent : out.agents) {
    // The sensitivity agent has no randomness (probes, solve, measure): one search for all seeds.
    const std::vector<std::uint64_t> seeds =
        agent == Agent::kSensitivity ? std::vector<std::uint64_t>{c.seeds.front()} : c.seeds;
    if (agent == Agent::kSensitivity)
      say(fmt::format("[sensitivity] {} probes (weight layers × allowed (w, a) choices, the others at {}/{}) + "
                      "reference + final; deterministic, so run once (seed {})",
                      ProbeCount(choices), c.search.sensitivity.reference_bits, c.search.sensitivity.reference_bits,
                      seeds.front()));
    for (std::uint64_t seed : seeds) {
      SearchOptions o = c.search;
      o.agent = agent;
      o.seed = seed;
      if (agent == Agent::kRandom && c.random_matches_ppo && ppo_measurements.contains(seed))
        o.episodes = static_cast<int>(std::max<std::int64_t>(1, ppo_measurements[seed]));
      RunOneSearch(ctx, o, out);
      if (agent == Agent::kPpo) ppo_measurements[seed] = out.searches.back().result.measurements;
      if (after_each_search) after_each_search(out);
    }
  }
  return out;
}

RunOutcome RunAutoq(const RunConfig& c, const std::filesystem::path& out_dir,
                    const std::function<void(const std::string&)>& progress,
                    const CandidateEvaluatorFactory& candidates) {
  const RunOutcome out = SearchAll(c, out_dir, progress, candidates,
                                   [&](const RunOutcome& so_far) { WriteRunResults(out_dir, c, so_far); });
  if (progress) progress(fmt::format("results in {}", out_dir.string()));
  return out;
}

}  // namespace fixar::autoq
