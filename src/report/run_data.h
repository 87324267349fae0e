// Training runs as `fixar report` reads them. Two layouts count as a run:
//   - a run directory written by `fixar train` (config.toml, progress.csv, summary.json,
//     checkpoint.bin — the checkpoint is not read here);
//   - a committed results folder (docs/results/qat_campaign/<task>/<precision>/seed<N>/):
//     config.toml, progress.csv or progress.csv.gz, summary.json, no checkpoint.
// Folders above runs (a sweep's runs/ folder, a results tree) are searched for runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rl/config.h"

namespace fixar::report {

// One evaluation row of progress.csv: the step and its eval_mean.
struct EvalPoint {
  std::int64_t step = 0;
  double mean = 0;
};

// What progress.csv holds for the report: every evaluation and the last step logged.
struct Progress {
  std::vector<EvalPoint> evals;  // rows whose eval_mean is filled, in file order
  std::int64_t last_step = 0;    // the step of the last row (0 with no rows)
};

struct RunData {
  std::filesystem::path dir;  // canonical
  rl::TrainConfig config;     // from config.toml
  nlohmann::json summary;     // summary.json; null while a run is still going
  Progress progress;
  std::string commit = "unknown";  // provenance.json "commit", else summary.json "commit"
};

// True when `dir` holds config.toml and progress.csv or progress.csv.gz.
bool IsRunDir(const std::filesystem::path& dir);

// The text of a file, inflated when it is gzip compressed (by content, not by name).
// Throws std::runtime_error naming the path when it cannot be read or the gzip stream
// is corrupt or truncated.
std::string ReadTextFile(const std::filesystem::path& path);

// Parses progress.csv text (header row with "step" and "eval_mean" columns, quoted cells
// allowed). `where` names the file in errors: a missing column, a row whose step or
// eval_mean is not a number.
Progress ParseProgressCsv(const std::string& text, const std::string& where);

// Splits one CSV line into cells; a cell in double quotes may hold commas ("" is a quote).
std::vector<std::string> SplitCsvLine(const std::string& line);

// Loads one run (either layout). Throws std::invalid_argument naming the directory when
// it is not a run, and the file when one is malformed.
RunData LoadRunData(const std::filesystem::path& dir);

// The run directories that `paths` name: a path that is a run is taken as it is, any
// other folder is searched for runs up to `max_depth` levels below it (not inside a
// run). Canonical paths, each once, sorted. Throws std::invalid_argument naming a path
// that does not exist or has no run within `max_depth` levels.
std::vector<std::filesystem::path> FindRunDirs(const std::vector<std::string>& paths, int max_depth = 4);

// A path for messages: relative to the working directory when below it, else absolute.
std::string DisplayPath(const std::filesystem::path& p);

}  // namespace fixar::report
