// `fixar report`: turns training run directories into a results table (Markdown and
// CSV) and reward-curve plots (SVG). Runs whose directory names differ only in the seed
// suffix (`_s<seed>`, and the `-2`, `-3` … of a taken name) are seeds of one configuration.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "plot/svg_plot.h"
#include "rl/config.h"
#include "rl/trainer.h"

namespace fixar::cli {
namespace {
namespace fs = std::filesystem;

struct Run {
  fs::path dir;
  rl::TrainConfig config;
  nlohmann::json summary;                         // empty while a run is still going
  std::vector<std::pair<double, double>> evals;  // (step, eval mean) from progress.csv
};

Run LoadRun(const fs::path& dir) {
  Run r;
  r.dir = dir;
  if (!fs::exists(dir / "config.toml") || !fs::exists(dir / "progress.csv"))
    throw std::invalid_argument(fmt::format("'{}' is not a run directory (needs config.toml and progress.csv)", dir.string()));
  r.config = rl::LoadTrainConfig((dir / "config.toml").string());
  if (fs::exists(dir / "summary.json")) std::ifstream(dir / "summary.json") >> r.summary;
  std::ifstream csv(dir / "progress.csv");
  std::string line;
  std::getline(csv, line);
  std::vector<std::string> header;
  std::stringstream hs(line);
  for (std::string h; std::getline(hs, h, ',');) header.push_back(h);
  const auto col = std::find(header.begin(), header.end(), "eval_mean") - header.begin();
  while (std::getline(csv, line)) {
    std::stringstream ls(line);
    std::vector<std::string> cells;
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
    if (static_cast<std::size_t>(col) < cells.size() && !cells[col].empty())
      r.evals.emplace_back(std::stod(cells[0]), std::stod(cells[col]));
  }
  return r;
}

double MeanOf(const std::vector<double>& v) {
  if (v.empty()) return NAN;
  double m = 0;
  for (double x : v) m += x / v.size();
  return m;
}

int Report(const std::vector<std::string>& dirs, const std::string& out_prefix) {
  // Group by task and configuration (rl::RunGroupName); seeds are averaged.
  std::map<std::pair<std::string, std::string>, std::vector<Run>> groups;
  std::map<std::pair<std::string, std::string>, std::string> precisions;
  for (const auto& d : dirs) {
    Run r = LoadRun(d);
    std::string precision = r.config.actor_precision;
    if (r.config.critic_precision != precision) precision += "/" + r.config.critic_precision;
    const std::pair<std::string, std::string> key{r.config.task, rl::RunGroupName(r.dir.filename().empty() ? r.dir.parent_path().filename().string() : r.dir.filename().string())};
    auto [it, fresh] = precisions.emplace(key, precision);
    if (!fresh && it->second != precision)
      throw std::invalid_argument(fmt::format("'{}' ({}) and another run named like it ({}) differ in precision; "
                                              "rename one directory",
                                              d, precision, it->second));
    groups[key].push_back(std::move(r));
  }
  std::string md = "| task | runs | precision | seeds | steps | final eval return (mean ± std over seeds) | best eval | "
                   "QAT switch: eval before → after | IPS | peak memory |\n|---|---|---|---|---|---|---|---|---|---|\n";
  std::string csv =
      "task,runs,precision,seeds,steps,final_eval_mean,final_eval_std,best_eval_mean,ips_mean,peak_rss_mb\n";
  std::map<std::string, plot::PlotSpec> plots;  // one per task
  for (const auto& [key, runs] : groups) {
    const std::string& precision = precisions[key];
    std::vector<double> finals, bests, ips, rss, before, after;
    std::int64_t steps = 0;
    for (const Run& r : runs) {
      if (!r.evals.empty()) finals.push_back(r.evals.back().second);
      double best = -INFINITY;
      for (const auto& e : r.evals) best = std::max(best, e.second);
      if (!r.evals.empty()) bests.push_back(best);
      steps = std::max<std::int64_t>(steps, r.evals.empty() ? 0 : static_cast<std::int64_t>(r.evals.back().first));
      auto num = [](const nlohmann::json& j, const char* k) {
        return j.is_object() && j.contains(k) && j[k].is_number() ? j[k].get<double>() : NAN;
      };
      if (!r.summary.is_null()) {
        ips.push_back(num(r.summary, "ips_mean"));
        rss.push_back(num(r.summary, "peak_rss_mb"));
        before.push_back(num(r.summary["qat"], "eval_before_switch"));
        after.push_back(num(r.summary["qat"], "eval_after_switch"));
      }
    }
    double sd = 0;
    const double fm = MeanOf(finals);
    for (double x : finals) sd += (x - fm) * (x - fm) / std::max<std::size_t>(1, finals.size());
    sd = std::sqrt(sd);
    auto f = [](double x, const char* spec = "{:.0f}") {
      return std::isfinite(x) ? fmt::format(fmt::runtime(spec), x) : std::string("–");
    };
    md += fmt::format("| {} | {} | {} | {} | {} | {} ± {} | {} | {} → {} | {} | {} MB |\n", key.first, key.second,
                      precision, runs.size(), steps, f(fm), f(sd), f(MeanOf(bests)), f(MeanOf(before)),
                      f(MeanOf(after)), f(MeanOf(ips)), f(MeanOf(rss)));
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{}\n", key.first, key.second, precision, runs.size(), steps, fm, sd,
                       MeanOf(bests), MeanOf(ips), MeanOf(rss));
    // The curve: eval return per step, averaged over the seeds that reached the step.
    std::map<double, std::vector<double>> by_step;
    for (const Run& r : runs)
      for (const auto& [s, v] : r.evals) by_step[s].push_back(v);
    plot::Series series;
    // Standard names (<task>_<algorithm>_<precision>) are labelled by precision alone.
    const std::string standard = fmt::format("{}_{}_{}", key.first, runs.front().config.algorithm, precision);
    series.name = fmt::format("{} ({} seed{})", key.second == standard ? precision : key.second, runs.size(),
                              runs.size() == 1 ? "" : "s");
    for (const auto& [s, v] : by_step) {
      series.xs.push_back(s);
      series.ys.push_back(MeanOf(v));
    }
    auto& spec = plots[key.first];
    spec.title = key.first + ": evaluation return (mean of the evaluation episodes)";
    spec.xlabel = "environment steps";
    spec.ylabel = "return";
    if (!series.xs.empty()) spec.series.push_back(std::move(series));
  }
  std::ofstream(out_prefix + ".md") << md;
  std::ofstream(out_prefix + ".csv") << csv;
  std::cout << md;
  for (const auto& [task, spec] : plots) {
    if (spec.series.empty()) continue;
    const std::string path = fmt::format("{}_{}.svg", out_prefix, task);
    plot::WriteSvgPlot(path, spec);
    std::cout << "wrote " << path << "\n";
  }
  std::cout << "wrote " << out_prefix << ".md and " << out_prefix << ".csv\n";
  return 0;
}

const CommandRegistrar kReport("report", "Results table and reward curves from training run directories",
                               [](CLI::App& app) -> std::function<int()> {
                                 auto dirs = std::make_shared<std::vector<std::string>>();
                                 auto out = std::make_shared<std::string>("results");
                                 app.add_option("run_dirs", *dirs, "Run directories")->required()->check(CLI::ExistingDirectory);
                                 app.add_option("-o,--out", *out, "Output prefix: PREFIX.md, PREFIX.csv, PREFIX_TASK.svg");
                                 return [dirs, out]() { return Report(*dirs, *out); };
                               });

}  // namespace
}  // namespace fixar::cli
