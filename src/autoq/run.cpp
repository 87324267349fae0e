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
#include "util/build_info.h"
#ifdef FIXAR_AUTOQ_HAVE_PLOT
#include "plot/svg_plot.h"
#endif

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

std::string Join(const std::vector<int>& v) { return fmt::format("{}", fmt::join(v, "-")); }

#ifdef FIXAR_AUTOQ_HAVE_PLOT
plot::Series MakeSeries(std::string name, bool lines, bool markers) {
  plot::Series s;
  s.name = std::move(name);
  s.lines = lines;
  s.markers = markers;
  return s;
}
plot::PlotSpec MakePlot(std::string title, std::string xlabel, std::string ylabel) {
  plot::PlotSpec p;
  p.title = std::move(title);
  p.xlabel = std::move(xlabel);
  p.ylabel = std::move(ylabel);
  return p;
}
#endif

struct MeanStd {
  double mean = NAN, std = NAN;
  int n = 0;
};
MeanStd Stats(const std::vector<double>& xs) {
  MeanStd m;
  std::vector<double> v;
  for (double x : xs)
    if (std::isfinite(x)) v.push_back(x);
  m.n = static_cast<int>(v.size());
  if (v.empty()) return m;
  m.mean = 0;
  for (double x : v) m.mean += x / v.size();
  double var = 0;
  for (double x : v) var += (x - m.mean) * (x - m.mean);
  m.std = v.size() > 1 ? std::sqrt(var / (v.size() - 1)) : 0.0;
  return m;
}
std::string Pm(const MeanStd& m, double scale, const char* spec) {
  if (m.n == 0) return "n/a";
  return fmt::format(fmt::runtime(std::string(spec) + " ± " + spec), m.mean * scale, m.std * scale);
}

// ---- the sensitivity agent's extra outputs

// "343 = 7 × 49" (or "55 = 7 + 49 + … " when the layers allow different numbers of choices).
std::string ProbeCount(const std::vector<std::vector<layers::LayerBits>>& choices) {
  std::vector<std::size_t> sizes;
  std::size_t probes = 0;
  for (const auto& c : choices) sizes.push_back(c.size()), probes += c.size();
  if (std::adjacent_find(sizes.begin(), sizes.end(), std::not_equal_to<>()) == sizes.end())
    return fmt::format("{} = {} × {}", probes, sizes.size(), sizes.empty() ? 0 : sizes.front());
  return fmt::format("{} = {}", probes, fmt::join(sizes, " + "));
}

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

// sensitivity.csv: one row per probe.
void WriteSensitivityCsv(const std::filesystem::path& path, const SensitivityOutcome& s,
                         const std::vector<layers::LayerShape>& weight_layers) {
  std::ofstream csv(path);
  csv << "layer_index,layer,weight_bits,activation_bits,accuracy,drop,probe_cost_ratio,chosen\n";
  for (std::size_t l = 0; l < s.table.accuracy.size(); ++l)
    for (std::size_t j = 0; j < s.table.accuracy[l].size(); ++j) {
      const layers::LayerBits& b = s.table.choices[l][j];
      const bool chosen = !s.chosen.empty() && s.chosen[l] == b;
      csv << fmt::format("{},{},{},{},{:.6f},{:.6f},{:.6f},{}\n", l, weight_layers[l].name, b.weight_bits,
                         b.activation_bits, s.table.accuracy[l][j], s.table.drop[l][j], s.table.cost[l][j],
                         chosen ? 1 : 0);
    }
}

// How each assignment was measured: what a reviewer needs to recompute an accuracy.
nlohmann::json MeasurementJson(const RunConfig& c) {
  if (c.target != "cnn") return {{"target", c.target}, {"network", c.network}};
  return {{"target", c.target},
          {"model_config", c.model_config},
          {"checkpoint", c.checkpoint},
          {"validation_size", c.validation_size},
          {"search_validation_images", c.search_validation_images},
          {"search_finetune_steps", c.search_finetune_steps},
          {"search_finetune_subset", c.search_finetune_subset},
          {"search_finetune_batch", c.search_finetune_batch},
          {"final_finetune_steps", c.final_finetune_steps},
          {"final_finetune_batch", c.final_finetune_batch},
          {"finetune_lr", c.finetune_lr}};
}

nlohmann::json SensitivityJson(const SensitivityOutcome& s) {
  std::vector<int> choices;
  for (const auto& c : s.table.choices) choices.push_back(static_cast<int>(c.size()));
  return {{"probes", s.table.probes()},
          {"choices_per_layer", choices},
          {"reference_accuracy", s.table.reference_accuracy},
          {"predicted_accuracy", std::isfinite(s.predicted_accuracy) ? nlohmann::json(s.predicted_accuracy)
                                                                     : nlohmann::json()},
          {"predicted_drop", s.solution.feasible ? nlohmann::json(s.solution.value) : nlohmann::json()},
          {"solver_cost_ratio", s.solution.feasible ? nlohmann::json(s.solution.cost) : nlohmann::json()},
          {"solve_seconds", s.solution.seconds},
          {"solver_max_states", s.solution.max_states},
          {"probe_seconds", s.probe_seconds},
          {"message", s.message}};
}

void WriteSensitivityReport(std::ostream& md, const SearchResult& r) {
  const SensitivityOutcome& s = *r.sensitivity;
  md << "\n## Sensitivity + exact knapsack\n\n";
  if (!s.message.empty()) {
    md << "Nothing chosen: " << s.message << "\n";
    return;
  }
  md << fmt::format(
      "{} probes (each layer at each allowed choice, the others at {}/{}), {} measurements and {} cache hits in all "
      "(reference and final included), {:.1f} s of probing; the knapsack (exact, {} partial selections at most) took "
      "{:.2f} ms. Chosen: {}, cost {:.4f}; predicted accuracy (reference {:.2f} %, Σ drops {:.2f} points) {:.2f} %, "
      "measured {:.2f} %.\n",
      ProbeCount(s.table.choices), s.table.reference.front().weight_bits, s.table.reference.front().activation_bits,
      r.measurements, r.cache_hits, s.probe_seconds, s.solution.max_states, 1e3 * s.solution.seconds,
      FormatBits(s.chosen), s.solution.cost, 100 * s.table.reference_accuracy, 100 * s.solution.value,
      100 * s.predicted_accuracy, r.best ? 100 * r.best->accuracy : NAN);
}

}  // namespace

RunOutcome RunAutoq(const RunConfig& c, const std::filesystem::path& out_dir,
                    const std::function<void(const std::string&)>& progress,
                    const CandidateEvaluatorFactory& candidates) {
  c.Validate();
  auto say = [&](const std::string& s) {
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
  say(fmt::format("target {}: {} weight layers, float accuracy {:.2f} % (validation); budget {:.3f} of the 8/8 {}",
                  target->name(), target->layers().size(), 100 * out.float_accuracy, c.budget, to_string(c.metric)));

  std::ofstream csv(out_dir / "evaluations.csv");
  csv << "agent,seed,index,episode,weight_bits,activation_bits,accuracy,cost_ratio,crossbars_ratio,area_ratio,"
         "energy_ratio,latency_ratio,in_budget,measured,cache_hit,reward,measure_s,elapsed_s\n";
  std::ofstream ppo_csv(out_dir / "ppo_log.csv");
  ppo_csv << "seed,update,global_step,name,value\n";
  nlohmann::json summary = nlohmann::json::array();
  std::map<std::uint64_t, std::int64_t> ppo_measurements;  // per seed, for random_matches_ppo

  // PPO first, so random can match its measurement count.
  std::vector<Agent> order = c.agents;
  std::stable_sort(order.begin(), order.end(), [](Agent a, Agent b) { return a == Agent::kPpo && b != Agent::kPpo; });
  std::vector<std::vector<Evaluation>> kept_records;
  const auto choices =
      AllowedChoices(static_cast<int>(target->layers().size()), c.search.env.candidates, c.search.sensitivity);
  for (Agent agent : order) {
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
      Evaluator ev(*target, cost_model, c.metric, c.budget);
      ev.set_candidate_evaluator(measurer);
      const int total = agent == Agent::kUniform       ? static_cast<int>(o.env.candidates.size())
                        : agent == Agent::kSensitivity ? CountProbes(choices) + 2
                                                       : o.episodes;
      const int every = std::max(1, total / (agent == Agent::kSensitivity ? 20 : 10));
      ev.on_record = [&, agent, seed](const Evaluation& e) {
        if ((e.episode + 1) % every != 0 || (agent == Agent::kRandom && !e.measured)) return;
        const Evaluation* best = ev.Best();
        say(fmt::format("[{} seed {}] {} {:>4}/{}  best {}  measurements {}  cache hits {}  {:.1f} s",
                        to_string(agent), seed, agent == Agent::kSensitivity ? "measurement" : "episode",
                        e.episode + 1, total,
                        best ? fmt::format("{:.2f} % at {:.3f}", 100 * best->accuracy, best->cost_ratio)
                             : std::string("none within budget yet"),
                        ev.measurements(), ev.cache_hits(), ev.elapsed_seconds()));
      };
      SearchResult r = RunSearch(ev, o);
      if (agent == Agent::kPpo) ppo_measurements[seed] = r.measurements;
      if (r.sensitivity) {
        say(SensitivityLine(*r.sensitivity, r));
        WriteSensitivityCsv(out_dir / "sensitivity.csv", *r.sensitivity, target->layers());
      }
      double final_acc = std::numeric_limits<double>::quiet_NaN();
      if (r.best && c.final_finetune) {
        say(fmt::format("[{} seed {}] final fine-tune of {}", to_string(agent), seed, FormatBits(r.best->bits)));
        final_acc = target->FinalAccuracy(r.best->bits);
      }
      say(fmt::format("[{} seed {}] done: best {} ({}), final {}, {} measurements, {} cache hits, {:.1f} s search",
                      to_string(agent), seed,
                      r.best ? fmt::format("{:.2f} % at {:.3f} {}", 100 * r.best->accuracy, r.best->cost_ratio,
                                           to_string(c.metric))
                             : std::string("none within budget"),
                      r.best ? FormatBits(r.best->bits) : "-",
                      std::isfinite(final_acc) ? fmt::format("{:.2f} %", 100 * final_acc) : std::string("n/a"),
                      r.measurements, r.cache_hits, r.wall_seconds));
      for (const Evaluation& e : ev.records()) {
        std::vector<int> wb, ab;
        for (const auto& b : e.bits) wb.push_back(b.weight_bits), ab.push_back(b.activation_bits);
        csv << fmt::format("{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{},{:.6f},{:.4f},{:.4f}\n",
                           to_string(agent), seed, e.index, e.episode, Join(wb), Join(ab),
                           e.measured ? fmt::format("{:.6f}", e.accuracy) : std::string(""), e.cost_ratio,
                           e.cost.crossbars, e.cost.area, e.cost.energy, e.cost.latency, e.in_budget ? 1 : 0,
                           e.measured ? 1 : 0, e.cache_hit ? 1 : 0, e.reward, e.measure_seconds, e.elapsed_seconds);
      }
      for (const rl::PpoLog& l : r.ppo_log)
        for (const auto& [name, value] : l.scalars)
          ppo_csv << fmt::format("{},{},{},{},{}\n", seed, l.update, l.global_step, name, value);
      nlohmann::json j{{"agent", to_string(agent)},
                       {"seed", seed},
                       {"episodes", r.episodes},
                       {"measurements", r.measurements},
                       {"cache_hits", r.cache_hits},
                       {"over_budget", r.over_budget},
                       {"search_seconds", r.wall_seconds},
                       {"measure_seconds", r.measure_seconds},
                       {"final_accuracy", std::isfinite(final_acc) ? nlohmann::json(final_acc) : nlohmann::json()}};
      if (r.sensitivity) j["sensitivity"] = SensitivityJson(*r.sensitivity);
      if (r.best) {
        std::vector<int> wb, ab;
        for (const auto& b : r.best->bits) wb.push_back(b.weight_bits), ab.push_back(b.activation_bits);
        j["best"] = {{"weight_bits", wb},          {"activation_bits", ab},
                     {"accuracy", r.best->accuracy}, {"cost_ratio", r.best->cost_ratio},
                     {"crossbars_ratio", r.best->cost.crossbars}, {"area_ratio", r.best->cost.area},
                     {"energy_ratio", r.best->cost.energy},       {"latency_ratio", r.best->cost.latency}};
      }
      summary.push_back(j);
      kept_records.push_back(ev.records());
      out.searches.push_back(std::move(r));
      out.seeds.push_back(seed);
      out.final_accuracy.push_back(final_acc);
    }
  }
  std::ofstream(out_dir / "summary.json") << nlohmann::json{{"target", target->name()},
                                                            {"metric", to_string(c.metric)},
                                                            {"budget", c.budget},
                                                            {"float_accuracy", out.float_accuracy},
                                                            {"build", util::GetBuildInfo().describe()},
                                                            {"commit", util::GetBuildInfo().commit},
                                                            {"measurement", MeasurementJson(c)},
                                                            {"searches", summary}}
                                                 .dump(2)
                                          << "\n";

  // ---- report.md: agents compared over seeds.
  std::ofstream md(out_dir / "report.md");
  md << fmt::format("# AutoQ search: {}\n\nBudget: {:.3f} × the uniform 8/8 {} (ReRAM cost model, {}). "
                    "Float accuracy (validation): {:.2f} %. Seeds: {}.\n\n",
                    target->name(), c.budget, to_string(c.metric),
                    c.reram_config.empty() ? std::string("built-in ISAAC figures") : c.reram_config,
                    100 * out.float_accuracy, c.seeds.size());
  md << "Mean ± std over seeds. Accuracy: validation accuracy of the best assignment found within the budget "
        "(short fine-tune); final: after the long fine-tune, on the test set. Cost: fraction of the 8/8 cost. "
        "Search time: wall clock of the whole search. Measurements: accuracy evaluations (cache misses).\n\n";
  md << "| agent | accuracy (%) | final accuracy (%) | cost (ratio) | search time (s) | measurements | cache hits | "
        "episodes | over budget |\n|---|---|---|---|---|---|---|---|---|\n";
  for (Agent agent : order) {
    std::vector<double> acc, fin, cost, secs, meas, hits, eps, over;
    for (std::size_t i = 0; i < out.searches.size(); ++i) {
      const SearchResult& r = out.searches[i];
      if (r.agent != agent) continue;
      acc.push_back(r.best ? r.best->accuracy : NAN);
      cost.push_back(r.best ? r.best->cost_ratio : NAN);
      fin.push_back(out.final_accuracy[i]);
      secs.push_back(r.wall_seconds);
      meas.push_back(static_cast<double>(r.measurements));
      hits.push_back(static_cast<double>(r.cache_hits));
      eps.push_back(r.episodes);
      over.push_back(r.over_budget);
    }
    md << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", to_string(agent), Pm(Stats(acc), 100, "{:.2f}"),
                      Pm(Stats(fin), 100, "{:.2f}"), Pm(Stats(cost), 1, "{:.3f}"), Pm(Stats(secs), 1, "{:.1f}"),
                      Pm(Stats(meas), 1, "{:.0f}"), Pm(Stats(hits), 1, "{:.0f}"), Pm(Stats(eps), 1, "{:.0f}"),
                      Pm(Stats(over), 1, "{:.0f}"));
  }
  md << "\n## Best assignment per search\n\n| agent | seed | bits (w/a per layer) | accuracy (%) | cost (ratio) |\n"
        "|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < out.searches.size(); ++i) {
    const SearchResult& r = out.searches[i];
    md << fmt::format("| {} | {} | {} | {} | {} |\n", to_string(r.agent), out.seeds[i],
                      r.best ? FormatBits(r.best->bits) : "-",
                      r.best ? fmt::format("{:.2f}", 100 * r.best->accuracy) : "-",
                      r.best ? fmt::format("{:.3f}", r.best->cost_ratio) : "-");
  }
  for (const SearchResult& r : out.searches)
    if (r.sensitivity) WriteSensitivityReport(md, r);

#ifdef FIXAR_AUTOQ_HAVE_PLOT
  // ---- pareto.svg: every measured assignment (first seed), and the front of all of them.
  plot::PlotSpec pareto = MakePlot(fmt::format("{}: measured assignments (budget {:.2f})", target->name(), c.budget),
                                   fmt::format("cost ({} / uniform 8/8)", to_string(c.metric)), "accuracy (%)");
  std::vector<std::pair<double, double>> pts;
  for (std::size_t i = 0; i < kept_records.size(); ++i) {
    if (out.seeds[i] != c.seeds.front()) continue;
    plot::Series s = MakeSeries(to_string(out.searches[i].agent), false, true);
    for (const Evaluation& e : kept_records[i])
      if (e.measured) {
        s.xs.push_back(e.cost_ratio);
        s.ys.push_back(100 * e.accuracy);
        pts.emplace_back(e.cost_ratio, 100 * e.accuracy);
      }
    if (!s.xs.empty()) pareto.series.push_back(std::move(s));
  }
  std::sort(pts.begin(), pts.end());
  plot::Series front = MakeSeries("Pareto front", true, false);
  double best_acc = -1;
  for (const auto& [x, y] : pts)
    if (y > best_acc) front.xs.push_back(x), front.ys.push_back(y), best_acc = y;
  if (!front.xs.empty()) pareto.series.push_back(front);
  plot::Series budget_line = MakeSeries("budget", true, false);
  budget_line.xs = {c.budget, c.budget};
  budget_line.ys = {pts.empty() ? 0.0 : std::min_element(pts.begin(), pts.end(), [](auto& a, auto& b) {
                                          return a.second < b.second;
                                        })->second,
                    best_acc};
  pareto.series.push_back(budget_line);
  if (!pts.empty()) plot::WriteSvgPlot((out_dir / "pareto.svg").string(), pareto);

  // ---- bits.svg: weight and activation bits per layer of each agent's best (first seed).
  plot::PlotSpec bits_plot = MakePlot("bits per layer of the best assignment (first seed)", "weight layer", "bits");
  for (std::size_t l = 0; l < target->layers().size(); ++l) {  // ticks named after the layers
    bits_plot.x_ticks.push_back(static_cast<double>(l));
    bits_plot.x_tick_labels.push_back(target->layers()[l].name);
  }
  for (std::size_t i = 0; i < out.searches.size(); ++i) {
    const SearchResult& r = out.searches[i];
    if (out.seeds[i] != c.seeds.front() || !r.best) continue;
    plot::Series w = MakeSeries(fmt::format("{} weights", to_string(r.agent)), true, true);
    plot::Series a = MakeSeries(fmt::format("{} activations", to_string(r.agent)), true, true);
    for (std::size_t l = 0; l < r.best->bits.size(); ++l) {
      w.xs.push_back(static_cast<double>(l));
      w.ys.push_back(r.best->bits[l].weight_bits);
      a.xs.push_back(static_cast<double>(l));
      a.ys.push_back(r.best->bits[l].activation_bits);
    }
    bits_plot.series.push_back(std::move(w));
    bits_plot.series.push_back(std::move(a));
  }
  if (!bits_plot.series.empty()) plot::WriteSvgPlot((out_dir / "bits.svg").string(), bits_plot);
#else
  md << "\n(no plots: this build has no fixar_plot; evaluations.csv holds the data)\n";
#endif
  say(fmt::format("results in {}", out_dir.string()));
  return out;
}

}  // namespace fixar::autoq
