// The records a training run keeps in its directory besides the checkpoint (trainer.h lists
// them): progress.csv rows, the TensorBoard scalars of a row, provenance.json and
// summary.json. rl::Train decides when; these functions decide what is written and how.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/precision.h"
#include "rl/ddpg.h"
#include "rl/trainer.h"

namespace fixar::rl {

// progress.csv's header: the run columns, then five per layer of `layers`.
std::string ProgressCsvHeader(const std::vector<nn::LayerStats>& layers);

// Keeps the header and the whole rows of progress.csv up to `step` (a resumed run rewrites
// what follows). A row cut short by a crash (fewer fields than the header, or no step)
// ends what is kept: rows are appended whole, so only the last one can be torn.
void TruncateProgressCsv(const std::filesystem::path& path, std::int64_t step);

// One progress.csv row: what the trainer measured over the rows' window.
struct ProgressRow {
  std::int64_t step = 0, episode = 0;
  double last_return = 0;
  int last_length = 0;
  bool evaluated = false;  // an evaluation at this step: its mean and std are filled in
  double eval_mean = 0, eval_std = 0;
  double critic_loss = 0, q_mean = 0, ips = 0;
  double env_ms = 0, update_ms = 0, act_ms = 0;  // per update
  bool quantized = false;
};
// The row as text with its newline, the per-layer columns from the agent's statistics
// (empty for float layers: no fixed-point datapath, nothing saturates).
std::string FormatProgressRow(const ProgressRow& row, const Ddpg& agent, const nn::PrecisionPolicy& actor,
                              const nn::PrecisionPolicy& critic);

// The TensorBoard scalars of one row: CleanRL's names where CleanRL has the metric
// (docs/training.md lists them), ours for FIXAR's QAT and per-layer fixed point.
// `updates`: updates in the row's window (none: the losses and times are NaN).
std::vector<std::pair<std::string, double>> ProgressScalars(const ProgressRow& row, double steps_per_second,
                                                            std::int64_t updates, const Ddpg& agent,
                                                            const nn::PrecisionPolicy& actor,
                                                            const nn::PrecisionPolicy& critic);

// Records this start (or resume) in the run's provenance.json, replaced atomically.
void RecordProvenance(const std::filesystem::path& dir, const std::string& command_line, bool resuming);

// summary.json's content, and the file itself (replaced atomically).
nlohmann::json SummaryJson(const TrainSummary& s);
void WriteSummaryJson(const std::filesystem::path& path, const TrainSummary& s);

// `fixar eval`'s result as JSON.
nlohmann::json EvaluationJson(const EvalSummary& e);

}  // namespace fixar::rl
