// The results directory of a `fixar autoq` run (docs/autoq.md, "Results directory"),
// written from the run's typed outcome (autoq/run.h): one named function per file.
#pragma once

#include <filesystem>

#include "autoq/run.h"

namespace fixar::autoq {

// Every file below; the plots only when this build has src/plot (else report.md says so).
void WriteRunResults(const std::filesystem::path& out_dir, const RunConfig& config, const RunOutcome& outcome);

void WriteEvaluationsCsv(const std::filesystem::path& path, const RunOutcome& outcome);
void WritePpoLogCsv(const std::filesystem::path& path, const RunOutcome& outcome);
// The sensitivity agent's probes; nothing when no search of the run has them.
void WriteSensitivityCsv(const std::filesystem::path& path, const RunOutcome& outcome);
void WriteSummaryJson(const std::filesystem::path& path, const RunConfig& config, const RunOutcome& outcome);
void WriteReportMarkdown(const std::filesystem::path& path, const RunConfig& config, const RunOutcome& outcome);
// pareto.svg and bits.svg in out_dir; false when this build has no src/plot.
bool WritePlots(const std::filesystem::path& out_dir, const RunConfig& config, const RunOutcome& outcome);

// "343 = 7 × 49" (or "55 = 7 + 49 + … " when the layers allow different numbers of choices).
std::string ProbeCount(const std::vector<std::vector<layers::LayerBits>>& choices);

}  // namespace fixar::autoq
