// `fixar export RUN_DIR`: the run's trained actor as a C99 header (--c), an ONNX model
// (--onnx) and check data for validating either (--check-data). docs/export.md.
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/checks.h"
#include "cli/command.h"
#include "export/run_export.h"

namespace fixar::cli {
namespace {

void PrintExport(const nlohmann::json& r) {
  std::cout << fmt::format("{}: actor of {} at step {} ({}{})\n", r["run_dir"].get<std::string>(),
                           r["task"].get<std::string>(), r["step"].get<std::int64_t>(),
                           r["precision"].get<std::string>(), r["quantized"].get<bool>() ? ", past the QAT switch" : "");
  if (r.contains("c_header"))
    std::cout << fmt::format("C header     {} (bit-exact with fixar's forward pass)\n",
                             r["c_header"].get<std::string>());
  if (r.contains("onnx")) {
    const auto& o = r["onnx"];
    std::cout << fmt::format("ONNX model   {}{}\n", o["path"].get<std::string>(),
                             o["exact"].get<bool>() ? " (integer-valued double graph, exact)" : "");
    for (const auto& line : o["layers"]) std::cout << "  " << line.get<std::string>() << "\n";
  }
  if (r.contains("check_data"))
    std::cout << fmt::format("check data   {} ({} observations and fixar's actions, seed {})\n",
                             r["check_data"]["path"].get<std::string>(), r["check_data"]["samples"].get<int>(),
                             r["check_data"]["seed"].get<std::uint64_t>());
}

const CommandRegistrar kExport(
    "export", "Export a run's trained actor: a bit-exact C99 header, an ONNX model, check data",
    [](CLI::App& app) -> std::function<int()> {
      auto o = std::make_shared<exporting::ExportOptions>();
      auto json = std::make_shared<std::string>();
      app.add_option("run_dir", o->run_dir, "Run directory (holds config.toml, checkpoint.bin)")->required();
      app.add_option("--c", o->c_header, "Write the actor as a C99 header (fixed-point runs)");
      app.add_option("--symbol", o->c_symbol, "Name of the header's inference function (prefix of every symbol)");
      app.add_option("--onnx", o->onnx, "Write the actor as an ONNX model");
      app.add_option("--check-data", o->check_data,
                     "Write a CSV of observations (within and beyond the observation range) and fixar's actions");
      app.add_option("--check-samples", o->check_samples, "Observations in the check data")
          ->check(CLI::Range(1, 10'000'000));
      app.add_option("--check-seed", o->check_seed, "Seed of the check data's observations");
      app.add_option("--json", *json, "Write the summary as JSON");
      return [o, json]() {
        for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"--c", o->c_header},
                                         {"--onnx", o->onnx}, {"--check-data", o->check_data}, {"--json", *json}})
          CheckOutputFile(flag, path);
        const nlohmann::json r = exporting::ExportRun(*o);
        PrintExport(r);
        if (!json->empty()) WriteOutputFile("--json", *json, r.dump(2) + "\n");
        return 0;
      };
    });

}  // namespace
}  // namespace fixar::cli
