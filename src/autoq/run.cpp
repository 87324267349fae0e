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
#include <toml++/toml.h>

#include "accel/reram/config.h"
#include "autoq/cnn_target.h"
#include "autoq/results.h"

namespace fixar::autoq {

// ---------------------------------------------------------------- config

namespace {

// Reads the keys of one table, refusing unknown ones.
class TableReader {
 public:
  TableReader(const toml::table* t, std::string section, std::string file)
      : t_(t), section_(std::move(section)), file_(std::move(file)) {}
  ~TableReader() = default;
  void Check() const {
    if (!t_) return;
    for (const auto& [k, v] : *t_)
      if (!seen_.contains(std::string(k.str())))
        throw std::invalid_argument(fmt::format("{}: unknown key [{}] {}; valid: {}", file_, section_, k.str(),
                                                fmt::join(seen_, ", ")));
  }
  template <typename T>
  void Get(const char* key, T& out) {
    seen_.insert(key);
    if (!t_) return;
    const toml::node* n = t_->get(key);
    if (!n) return;
    if constexpr (std::is_same_v<T, bool>) {
      if (auto v = n->value<bool>()) return void(out = *v);
    } else if constexpr (std::is_integral_v<T>) {
      if (const auto* i = n->as_integer()) {  // floats are not integers here (no toml++ float -> int cast)
        if (!std::in_range<T>(i->get())) Fail(key, fmt::format("{}, out of range", i->get()).c_str());
        return void(out = static_cast<T>(i->get()));
      }
    } else if constexpr (std::is_floating_point_v<T>) {
      if (auto v = n->value<double>()) {
        if (!std::isfinite(*v)) Fail(key, fmt::format("{}, not a finite number", *v).c_str());
        return void(out = *v);
      }
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = n->value<std::string>()) return void(out = *v);
    }
    Fail(key, "of the wrong type");
  }
  template <typename T>
  void GetList(const char* key, std::vector<T>& out) {
    seen_.insert(key);
    if (!t_) return;
    const toml::node* n = t_->get(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a) Fail(key, "not an array");
    out.clear();
    for (const auto& e : *a) {
      if constexpr (std::is_same_v<T, std::string>) {
        if (auto v = e.value<std::string>()) out.push_back(*v);
        else Fail(key, "not a list of strings");
      } else {
        const auto* i = e.as_integer();
        if (!i) Fail(key, "not a list of integers");
        if (!std::in_range<T>(i->get())) Fail(key, fmt::format("holding {}, out of range", i->get()).c_str());
        out.push_back(static_cast<T>(i->get()));
      }
    }
  }
  [[noreturn]] void Fail(const char* key, const char* what) const {
    throw std::invalid_argument(fmt::format("{}: [{}] {} is {}", file_, section_, key, what));
  }

 private:
  const toml::table* t_;
  std::string section_, file_;
  std::set<std::string> seen_;
};

}  // namespace

RunConfig RunConfig::Load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(fmt::format("{}: cannot read the file (missing or unreadable)", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path.string());
}

RunConfig RunConfig::Parse(std::string_view text, const std::string& file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: TOML parse error: {}", file, e.description()));
  }
  RunConfig c;
  for (const auto& [k, v] : root)
    if (!std::set<std::string>{"target", "search", "reward", "ppo", "ddpg", "sensitivity"}.contains(
            std::string(k.str())))
      throw std::invalid_argument(
          fmt::format("{}: unknown table [{}]; valid: target, search, reward, ppo, ddpg, sensitivity", file, k.str()));

  TableReader t(root["target"].as_table(), "target", file);
  t.Get("kind", c.target);
  t.Get("network", c.network);
  t.Get("model_config", c.model_config);
  t.Get("checkpoint", c.checkpoint);
  t.Get("data_dir", c.data_dir);
  t.Get("validation_size", c.validation_size);
  t.Get("search_validation_images", c.search_validation_images);
  t.Get("search_finetune_steps", c.search_finetune_steps);
  t.Get("search_finetune_subset", c.search_finetune_subset);
  t.Get("search_finetune_batch", c.search_finetune_batch);
  t.Get("final_finetune_steps", c.final_finetune_steps);
  t.Get("final_finetune_batch", c.final_finetune_batch);
  t.Get("finetune_lr", c.finetune_lr);
  t.Check();

  TableReader s(root["search"].as_table(), "search", file);
  s.Get("budget", c.budget);
  std::string metric = to_string(c.metric);
  s.Get("metric", metric);
  c.metric = ParseCostMetric(metric, file + ": [search] metric");
  s.Get("reram_config", c.reram_config);
  std::vector<std::string> agents;
  s.GetList("agents", agents);
  if (!agents.empty()) {
    c.agents.clear();
    for (const auto& a : agents) c.agents.push_back(ParseAgent(a, file + ": [search] agents"));
  }
  s.GetList("seeds", c.seeds);
  s.Get("episodes", c.search.episodes);
  s.GetList("candidates", c.search.env.candidates);
  s.Get("random_matches_ppo", c.random_matches_ppo);
  s.Get("final_finetune", c.final_finetune);
  s.Check();

  TableReader r(root["reward"].as_table(), "reward", file);
  r.Get("accuracy_scale", c.search.env.reward.accuracy_scale);
  r.Get("over_budget_penalty", c.search.env.reward.over_budget_penalty);
  r.Get("overshoot_scale", c.search.env.reward.overshoot_scale);
  r.Check();

  rl::PpoConfig& p = c.search.ppo;
  TableReader pr(root["ppo"].as_table(), "ppo", file);
  pr.Get("episodes_per_update", c.search.ppo_episodes_per_update);
  pr.Get("learning_rate", p.learning_rate);
  pr.Get("anneal_lr", p.anneal_lr);
  pr.Get("gamma", p.gamma);
  pr.Get("gae_lambda", p.gae_lambda);
  pr.Get("num_minibatches", p.num_minibatches);
  pr.Get("update_epochs", p.update_epochs);
  pr.Get("clip_coef", p.clip_coef);
  pr.Get("clip_vloss", p.clip_vloss);
  pr.Get("ent_coef", p.ent_coef);
  pr.Get("vf_coef", p.vf_coef);
  pr.Get("max_grad_norm", p.max_grad_norm);
  pr.GetList("hidden", p.hidden);
  pr.Check();

  HaqSearchConfig& d = c.search.ddpg;
  TableReader dr(root["ddpg"].as_table(), "ddpg", file);
  dr.GetList("hidden", d.hidden);
  dr.Get("actor_lr", d.actor_lr);
  dr.Get("critic_lr", d.critic_lr);
  dr.Get("batch", d.batch);
  dr.Get("tau", d.tau);
  dr.Get("noise_sigma", d.noise_sigma);
  dr.Get("noise_decay", d.noise_decay);
  dr.Get("warmup_episodes", d.warmup_episodes);
  dr.Get("replay_episodes", d.replay_episodes);
  dr.Get("keep_first_last", d.keep_first_last);
  dr.Check();

  TableReader sr(root["sensitivity"].as_table(), "sensitivity", file);
  sr.Get("reference_bits", c.search.sensitivity.reference_bits);
  sr.Get("keep_first_last", c.search.sensitivity.keep_first_last);
  sr.Check();
  c.Validate();
  return c;
}

void RunConfig::Validate() const {
  if (target != "synthetic" && target != "cnn")
    throw std::invalid_argument(fmt::format("target '{}' is unknown; valid: synthetic, cnn", target));
  if (!(budget > 0 && budget <= 1))
    throw std::invalid_argument(fmt::format("budget {} is invalid; valid: (0, 1] of the uniform 8/8 cost", budget));
  if (agents.empty())
    throw std::invalid_argument("agents: the list is empty; valid: ppo, ddpg, random, uniform, sensitivity");
  if (seeds.empty()) throw std::invalid_argument("seeds: the list is empty");
  if (search_validation_images < 0 || search_validation_images > validation_size)
    throw std::invalid_argument(fmt::format(
        "search_validation_images = {} is invalid; valid: 0 (all) .. validation_size ({})", search_validation_images,
        validation_size));
  if (search_finetune_steps < 0 || final_finetune_steps < 0)
    throw std::invalid_argument(fmt::format("fine-tune steps {} / {} are invalid; valid: >= 0", search_finetune_steps,
                                            final_finetune_steps));
  search.validate();
  search.ppo.validate();
}

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
  out.records.push_back(ev.records());
  out.searches.push_back(std::move(r));
  out.seeds.push_back(seed);
  out.final_accuracy.push_back(final_acc);
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
      if (agent == Agent::kPpo) ppo_measurements[seed] = out.searches.back().measurements;
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
