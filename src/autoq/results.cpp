#include "autoq/results.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "util/build_info.h"
#include "util/stats.h"
#include "util/file_lock.h"
#ifdef FIXAR_AUTOQ_HAVE_PLOT
#include "plot/search_plots.h"
#endif

namespace fixar::autoq {
namespace {

std::string JoinDashed(const std::vector<int>& v) { return fmt::format("{}", fmt::join(v, "-")); }

std::vector<int> WeightBits(const Bits& bits) {
  std::vector<int> w;
  for (const auto& b : bits) w.push_back(b.weight_bits);
  return w;
}
std::vector<int> ActivationBits(const Bits& bits) {
  std::vector<int> a;
  for (const auto& b : bits) a.push_back(b.activation_bits);
  return a;
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

// One search's entry of summary.json.
nlohmann::json SearchJson(const SearchResult& r, std::uint64_t seed, double final_acc) {
  nlohmann::json j{{"agent", to_string(r.agent)},
                   {"seed", seed},
                   {"episodes", r.episodes},
                   {"measurements", r.measurements},
                   {"cache_hits", r.cache_hits},
                   {"over_budget", r.over_budget},
                   {"search_seconds", r.wall_seconds},
                   {"measure_seconds", r.measure_seconds},
                   {"final_accuracy", std::isfinite(final_acc) ? nlohmann::json(final_acc) : nlohmann::json()}};
  if (r.sensitivity) j["sensitivity"] = SensitivityJson(*r.sensitivity);
  if (r.best)
    j["best"] = {{"weight_bits", WeightBits(r.best->bits)},
                 {"activation_bits", ActivationBits(r.best->bits)},
                 {"accuracy", r.best->accuracy},
                 {"cost_ratio", r.best->cost_ratio},
                 {"crossbars_ratio", r.best->cost.crossbars},
                 {"area_ratio", r.best->cost.area},
                 {"energy_ratio", r.best->cost.energy},
                 {"latency_ratio", r.best->cost.latency}};
  return j;
}

// The agents-compared table of report.md: mean ± std over seeds (util/stats.h).
void WriteAgentTable(std::ostream& md, const RunOutcome& out) {
  md << "| agent | accuracy (%) | final accuracy (%) | cost (ratio) | search time (s) | measurements | cache hits | "
        "episodes | over budget |\n|---|---|---|---|---|---|---|---|---|\n";
  for (Agent agent : out.agents) {
    std::vector<double> acc, fin, cost, secs, meas, hits, eps, over;
    for (const FinishedSearch& f : out.searches) {
      const SearchResult& r = f.result;
      if (r.agent != agent) continue;
      acc.push_back(r.best ? r.best->accuracy : NAN);
      cost.push_back(r.best ? r.best->cost_ratio : NAN);
      fin.push_back(f.final_accuracy);
      secs.push_back(r.wall_seconds);
      meas.push_back(static_cast<double>(r.measurements));
      hits.push_back(static_cast<double>(r.cache_hits));
      eps.push_back(r.episodes);
      over.push_back(r.over_budget);
    }
    const auto cell = [](const std::vector<double>& v, const char* spec, double scale = 1) {
      return util::FormatMeanStd(util::Summarize(v), spec, scale);
    };
    md << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", to_string(agent), cell(acc, "{:.2f}", 100),
                      cell(fin, "{:.2f}", 100), cell(cost, "{:.3f}"), cell(secs, "{:.1f}"), cell(meas, "{:.0f}"),
                      cell(hits, "{:.0f}"), cell(eps, "{:.0f}"), cell(over, "{:.0f}"));
  }
}

void WriteSensitivitySection(std::ostream& md, const SearchResult& r) {
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

std::string ProbeCount(const std::vector<std::vector<layers::LayerBits>>& choices) {
  std::vector<std::size_t> sizes;
  std::size_t probes = 0;
  for (const auto& c : choices) sizes.push_back(c.size()), probes += c.size();
  if (std::adjacent_find(sizes.begin(), sizes.end(), std::not_equal_to<>()) == sizes.end())
    return fmt::format("{} = {} × {}", probes, sizes.size(), sizes.empty() ? 0 : sizes.front());
  return fmt::format("{} = {}", probes, fmt::join(sizes, " + "));
}

void WriteEvaluationsCsv(const std::filesystem::path& path, const RunOutcome& out) {
  std::ostringstream csv;
  csv << "agent,seed,index,episode,weight_bits,activation_bits,accuracy,cost_ratio,crossbars_ratio,area_ratio,"
         "energy_ratio,latency_ratio,in_budget,measured,cache_hit,reward,measure_s,elapsed_s\n";
  for (const FinishedSearch& f : out.searches)
    for (const Evaluation& e : f.records)
      csv << fmt::format("{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{},{:.6f},{:.4f},{:.4f}\n",
                         to_string(f.result.agent), f.seed, e.index, e.episode,
                         JoinDashed(WeightBits(e.bits)), JoinDashed(ActivationBits(e.bits)),
                         e.measured ? fmt::format("{:.6f}", e.accuracy) : std::string(""), e.cost_ratio,
                         e.cost.crossbars, e.cost.area, e.cost.energy, e.cost.latency, e.in_budget ? 1 : 0,
                         e.measured ? 1 : 0, e.cache_hit ? 1 : 0, e.reward, e.measure_seconds, e.elapsed_seconds);
  util::WriteTextAtomically(path.string(), csv.str());
}

void WritePpoLogCsv(const std::filesystem::path& path, const RunOutcome& out) {
  std::ostringstream csv;
  csv << "seed,update,global_step,name,value\n";
  for (const FinishedSearch& f : out.searches)
    for (const rl::PpoLog& l : f.result.ppo_log)
      for (const auto& [name, value] : l.scalars)
        csv << fmt::format("{},{},{},{},{}\n", f.seed, l.update, l.global_step, name, value);
  util::WriteTextAtomically(path.string(), csv.str());
}

void WriteSensitivityCsv(const std::filesystem::path& path, const RunOutcome& out) {
  for (const FinishedSearch& f : out.searches) {
    if (!f.result.sensitivity) continue;
    const SensitivityOutcome& s = *f.result.sensitivity;
    std::ostringstream csv;
    csv << "layer_index,layer,weight_bits,activation_bits,accuracy,drop,probe_cost_ratio,chosen\n";
    for (std::size_t l = 0; l < s.table.accuracy.size(); ++l)
      for (std::size_t j = 0; j < s.table.accuracy[l].size(); ++j) {
        const layers::LayerBits& b = s.table.choices[l][j];
        const bool chosen = !s.chosen.empty() && s.chosen[l] == b;
        csv << fmt::format("{},{},{},{},{:.6f},{:.6f},{:.6f},{}\n", l, out.layers[l].name, b.weight_bits,
                           b.activation_bits, s.table.accuracy[l][j], s.table.drop[l][j], s.table.cost[l][j],
                           chosen ? 1 : 0);
      }
    util::WriteTextAtomically(path.string(), csv.str());
  }
}

void WriteSummaryJson(const std::filesystem::path& path, const RunConfig& c, const RunOutcome& out) {
  nlohmann::json searches = nlohmann::json::array();
  for (const FinishedSearch& f : out.searches) searches.push_back(SearchJson(f.result, f.seed, f.final_accuracy));
  util::WriteTextAtomically(path.string(), nlohmann::json{{"target", out.target_name},
                                        {"metric", to_string(c.metric)},
                                        {"budget", c.budget},
                                        {"float_accuracy", out.float_accuracy},
                                        {"build", util::GetBuildInfo().describe()},
                                        {"commit", util::GetBuildInfo().commit},
                                        {"measurement", MeasurementJson(c)},
                                        {"searches", searches}}
                                                  .dump(2) +
                                              "\n");
}

void WriteReportMarkdown(const std::filesystem::path& path, const RunConfig& c, const RunOutcome& out) {
  std::ostringstream md;
  md << fmt::format("# AutoQ search: {}\n\nBudget: {:.3f} × the uniform 8/8 {} (ReRAM cost model, {}). "
                    "Float accuracy (validation): {:.2f} %. Seeds: {}.\n\n",
                    out.target_name, c.budget, to_string(c.metric),
                    c.reram_config.empty() ? std::string("built-in ISAAC figures") : c.reram_config,
                    100 * out.float_accuracy, c.seeds.size());
  md << "Mean ± std over seeds. Accuracy: validation accuracy of the best assignment found within the budget "
        "(short fine-tune); final: after the long fine-tune, on the test set. Cost: fraction of the 8/8 cost. "
        "Search time: wall clock of the whole search. Measurements: accuracy evaluations (cache misses).\n\n";
  WriteAgentTable(md, out);
  md << "\n## Best assignment per search\n\n| agent | seed | bits (w/a per layer) | accuracy (%) | cost (ratio) |\n"
        "|---|---|---|---|---|\n";
  for (const FinishedSearch& f : out.searches) {
    const SearchResult& r = f.result;
    md << fmt::format("| {} | {} | {} | {} | {} |\n", to_string(r.agent), f.seed,
                      r.best ? FormatBits(r.best->bits) : "-",
                      r.best ? fmt::format("{:.2f}", 100 * r.best->accuracy) : "-",
                      r.best ? fmt::format("{:.3f}", r.best->cost_ratio) : "-");
  }
  for (const FinishedSearch& f : out.searches)
    if (f.result.sensitivity) WriteSensitivitySection(md, f.result);
#ifndef FIXAR_AUTOQ_HAVE_PLOT
  md << "\n(no plots: this build has no fixar_plot; evaluations.csv holds the data)\n";
#endif
  util::WriteTextAtomically(path.string(), md.str());
}

bool WritePlots(const std::filesystem::path& out_dir, const RunConfig& c, const RunOutcome& out) {
#ifdef FIXAR_AUTOQ_HAVE_PLOT
  // pareto.svg: every measured assignment (first seed), and the front of all of them.
  std::vector<plot::Series> measured;
  for (const FinishedSearch& f : out.searches) {
    if (f.seed != c.seeds.front()) continue;
    plot::Series s = plot::MakeSeries(to_string(f.result.agent), false, true);
    for (const Evaluation& e : f.records)
      if (e.measured) {
        s.xs.push_back(e.cost_ratio);
        s.ys.push_back(100 * e.accuracy);
      }
    measured.push_back(std::move(s));
  }
  bool has_points = false;
  const plot::PlotSpec pareto = plot::ParetoFrontPlot(
      fmt::format("{}: measured assignments (budget {:.2f})", out.target_name, c.budget),
      fmt::format("cost ({} / uniform 8/8)", to_string(c.metric)), "accuracy (%)", std::move(measured), c.budget,
      &has_points);
  if (has_points) plot::WriteSvgPlot((out_dir / "pareto.svg").string(), pareto);

  // bits.svg: weight and activation bits per layer of each agent's best (first seed).
  std::vector<std::string> names;
  for (const layers::LayerShape& l : out.layers) names.push_back(l.name);
  std::vector<plot::LayerBitsSeries> best;
  for (const FinishedSearch& f : out.searches) {
    const SearchResult& r = f.result;
    if (f.seed != c.seeds.front() || !r.best) continue;
    best.push_back({to_string(r.agent), WeightBits(r.best->bits), ActivationBits(r.best->bits)});
  }
  const plot::PlotSpec bits = plot::BitsPerLayerPlot("bits per layer of the best assignment (first seed)", names, best);
  if (!bits.series.empty()) plot::WriteSvgPlot((out_dir / "bits.svg").string(), bits);
  return true;
#else
  (void)out_dir, (void)c, (void)out;
  return false;
#endif
}

void WriteRunResults(const std::filesystem::path& out_dir, const RunConfig& c, const RunOutcome& out) {
  std::filesystem::create_directories(out_dir);
  WriteEvaluationsCsv(out_dir / "evaluations.csv", out);
  WritePpoLogCsv(out_dir / "ppo_log.csv", out);
  WriteSensitivityCsv(out_dir / "sensitivity.csv", out);
  WriteSummaryJson(out_dir / "summary.json", c, out);
  WriteReportMarkdown(out_dir / "report.md", c, out);
  WritePlots(out_dir, c, out);
}

}  // namespace fixar::autoq
