// `fixar export RUN_DIR`: a run's trained actor (its checkpoint, loaded with rl::LoadRun)
// as a C header (c_header.h), an ONNX model (onnx_writer.h) and, for validating either,
// observations with fixar's own actions (check data). docs/export.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envs/env.h"
#include "nn/network.h"

namespace fixar::exporting {

struct ExportOptions {
  std::string run_dir;
  std::string c_header;  // path of the C header to write; empty: none
  std::string c_symbol = "fixar_actor";
  std::string onnx;        // path of the ONNX model to write; empty: none
  std::string check_data;  // path of the CSV of observations and fixar's actions; empty: none
  int check_samples = 1000;
  std::uint64_t check_seed = 1;
};

// Writes what the options ask for and returns a summary: run, step, precision, QAT state,
// the files written (for ONNX also which layers are exact). Throws std::invalid_argument
// naming the run directory and the setting when the actor cannot be exported as asked
// (e.g. --c of a float32 run) — then nothing is written.
nlohmann::json ExportRun(const ExportOptions& options);

// `count` observations for `space`, float32-exact (so float32 consumers such as ONNX
// runtimes read the same values): three in four uniform within [low, high], one in four
// uniform within [low − span, high + span] (beyond the range; span = high − low). An
// unbounded dimension uses ±10 within and ±100 beyond. Counter-based: the same seed
// gives the same observations. Row-major, count × space.size().
std::vector<double> CheckObservations(const envs::Box& space, int count, std::uint64_t seed);

// The CSV of check data: a header obs0…, act0…, then one row per observation with the
// network's action from Forward with batch 1 (as rl::Ddpg::Act), every value printed
// so that it reads back as the same double (17 significant digits).
std::string CheckDataCsv(nn::Network& actor, const std::vector<double>& observations);

}  // namespace fixar::exporting
