// `fixar report`: training runs -> a results table (Markdown and CSV), one reward-curve
// plot (SVG) per task and, when asked, one CSV row per run. Runs are grouped by their
// configuration (config.toml), seeds counted by run.seed; the statistics live in
// src/report/ and are described in docs/training.md.
#include <fstream>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "cli/checks.h"
#include "cli/command.h"
#include "report/report.h"

namespace fixar::cli {
namespace {

void WriteText(const std::string& path, const std::string& text) {
  WriteOutputFile("--out", path, text);
}

struct ReportArgs {
  std::vector<std::string> paths;
  std::string out_prefix = "results";
  std::string summary_csv;
  std::string band = "minmax";
  report::ReportOptions options;
};

int Report(const ReportArgs& a) {
  CheckOutputFile("--out", a.out_prefix + ".md");  // before reading the runs
  CheckOutputFile("--out", a.out_prefix + ".csv");
  CheckOutputFile("--summary-csv", a.summary_csv);
  report::ReportOptions options = a.options;
  options.band = a.band == "std" ? report::Band::kStd : report::Band::kMinMax;
  std::vector<report::RunData> runs;
  for (const auto& dir : report::FindRunDirs(a.paths)) runs.push_back(report::LoadRunData(dir));
  const report::Report rep = report::BuildReport(std::move(runs), options);
  const std::string md = report::RenderMarkdown(rep);
  WriteText(a.out_prefix + ".md", md);
  WriteText(a.out_prefix + ".csv", report::RenderGroupCsv(rep));
  std::cout << md;
  for (const auto& [task, spec] : report::RenderCurves(rep)) {
    const std::string path = fmt::format("{}_{}.svg", a.out_prefix, task);
    plot::WriteSvgPlot(path, spec);
    std::cout << "wrote " << path << "\n";
  }
  std::cout << "wrote " << a.out_prefix << ".md and " << a.out_prefix << ".csv\n";
  if (!a.summary_csv.empty()) {
    WriteOutputFile("--summary-csv", a.summary_csv, report::RenderRunCsv(rep));
    std::cout << "wrote " << a.summary_csv << " (one row per run)\n";
  }
  return 0;
}

const CommandRegistrar kReport(
    "report", "Results table, reward curves and per-run summary from training runs",
    [](CLI::App& app) -> std::function<int()> {
      auto a = std::make_shared<ReportArgs>();
      app.add_option("runs", a->paths,
                     "Run directories, or folders holding them (a sweep's runs/, a committed results tree; "
                     "searched 4 levels deep)")
          ->required()
          ->check(CLI::ExistingDirectory);
      app.add_option("-o,--out", a->out_prefix, "Output prefix: PREFIX.md, PREFIX.csv, PREFIX_TASK.svg");
      app.add_option("--reference", a->options.reference,
                     "Precision the ratio column divides by (a group with this actor and critic precision)")
          ->capture_default_str();
      app.add_flag("--allow-duplicate-seeds", a->options.allow_duplicate_seeds,
                   "Two runs of one configuration with one seed: keep the one with more steps (else an error)");
      app.add_option("--summary-csv", a->summary_csv,
                     "Also write one row per run: task,precision,seed,steps,final_eval,mean_last10_eval,best_eval,"
                     "commit");
      app.add_option("--band", a->band, "Band around each mean curve: minmax (over seeds) or std (±1 sample std)")
          ->check(CLI::IsMember({"minmax", "std"}))
          ->capture_default_str();
      return [a]() { return Report(*a); };
    });

}  // namespace
}  // namespace fixar::cli
