// `fixar sim`: the cycle-level model of FIXAR's AAP accelerator (src/accel/aap) for one
// configuration and several batch sizes, or a sweep over cores, array size and batch.
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "accel/aap/config.h"
#include "accel/aap/model.h"
#include "accel/aap/network.h"
#include "cli/checks.h"
#include "cli/command.h"
#include "plot/svg_plot.h"

namespace fixar::cli {
namespace {

struct SimOptions {
  std::string task = "halfcheetah";
  std::optional<int> state_dim, action_dim;
  std::vector<int> hidden;
  std::string network_file;
  std::vector<int> batches = {64, 128, 256, 512};
  std::string config_file;
  std::optional<int> cores, rows, cols, mode_bits;
  std::optional<double> clock_mhz, env_ms, sample_us;
  bool no_targets = false;
  bool phases = false;
  std::string json_file;
  bool sweep = false;
  std::vector<int> sweep_cores = {1, 2, 4, 8};
  std::vector<int> sweep_array = {8, 16, 32};
  std::string csv_file, svg_file;
};

aap::DdpgNetworks ResolveNetwork(const SimOptions& o) {
  aap::DdpgNetworks net;
  if (!o.network_file.empty()) {
    net = aap::LoadNetworkToml(o.network_file);
  } else {
    net = aap::TaskNetworks(o.task);  // throws on an unknown task, listing the valid ones
  }
  if (o.state_dim || o.action_dim || !o.hidden.empty()) net.task = "custom";
  if (o.state_dim) net.state_dim = *o.state_dim;
  if (o.action_dim) net.action_dim = *o.action_dim;
  if (!o.hidden.empty()) net.hidden = o.hidden;
  net.Validate("network (from --task/--state-dim/--action-dim/--hidden/--network)");
  return net;
}

aap::AccelConfig ResolveConfig(const SimOptions& o) {
  aap::AccelConfig c =
      o.config_file.empty() ? aap::AccelConfig{} : aap::LoadAccelConfig(o.config_file);
  auto positive = [](const char* flag, int v, int hi) {
    if (v < 1 || v > hi)
      throw std::invalid_argument(fmt::format("{} {} is invalid; valid: 1 .. {}", flag, v, hi));
    return v;
  };
  if (o.cores) c.array.cores = positive("--cores", *o.cores, 64);
  if (o.rows) c.array.rows = positive("--rows", *o.rows, 256);
  if (o.cols) c.array.cols = positive("--cols", *o.cols, 256);
  if (o.clock_mhz) {
    if (!(*o.clock_mhz > 0 && *o.clock_mhz <= 2000))
      throw std::invalid_argument(
          fmt::format("--clock-mhz {} is invalid; valid: (0, 2000] MHz", *o.clock_mhz));
    c.array.clock_mhz = *o.clock_mhz;
  }
  if (o.mode_bits) c.array.mode = aap::ParsePeMode(*o.mode_bits, "--mode");
  if (o.env_ms) {
    if (!(*o.env_ms >= 0))
      throw std::invalid_argument(fmt::format("--env-ms {} is invalid; valid: >= 0 ms", *o.env_ms));
    c.host.env_step_ms = *o.env_ms;
  }
  if (o.sample_us) {
    if (!(*o.sample_us >= 0))
      throw std::invalid_argument(
          fmt::format("--sample-us {} is invalid; valid: >= 0 us", *o.sample_us));
    c.host.replay_sample_us = *o.sample_us;
  }
  if (o.no_targets) c.target_networks = false;
  c.Validate(o.config_file.empty() ? "built-in u50 config with overrides"
                                   : o.config_file + " with overrides");
  return c;
}

void CheckBatches(const std::vector<int>& batches) {
  if (batches.empty()) throw std::invalid_argument("--batch needs at least one batch size");
  for (int b : batches)
    if (b < 1 || b > (1 << 20))
      throw std::invalid_argument(fmt::format("--batch {} is invalid; valid: 1 .. 1048576", b));
}

std::string Describe(const aap::AccelConfig& c) {
  return fmt::format("{} cores x {}x{} PEs, {} MHz, {} mode, {} target networks", c.array.cores,
                     c.array.rows, c.array.cols, c.array.clock_mhz, aap::to_string(c.array.mode),
                     c.target_networks ? "with" : "without");
}

std::string DescribeNet(const aap::DdpgNetworks& n) {
  std::string h;
  for (int x : n.hidden) h += (h.empty() ? "" : ",") + std::to_string(x);
  return fmt::format("{} (state {}, action {}, hidden {})", n.task, n.state_dim, n.action_dim, h);
}

nlohmann::json CostJson(const aap::OpCost& c) {
  return {{"cycles", c.cycles},
          {"compute_cycles", c.compute_cycles},
          {"stall_cycles", c.stall_cycles},
          {"latency_cycles", c.latency_cycles},
          {"macs", c.macs},
          {"mac_slots", c.mac_slots},
          {"multiplier_products", c.multiplier_ops},
          {"weight_line_reads", c.weight_line_reads},
          {"grad_line_accesses", c.grad_line_accesses},
          {"act_line_accesses", c.act_line_accesses},
          {"adam_params", c.adam_params}};
}

nlohmann::json ReportJson(const aap::TimestepReport& r) {
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& p : r.phases) phases[aap::to_string(p.phase)] = CostJson(p.cost);
  return {{"batch", r.batch},
          {"phases", phases},
          {"total", CostJson(r.total)},
          {"accel_ms", r.accel_ms},
          {"env_ms", r.env_ms},
          {"link_ms", r.link_ms},
          {"system_ms", r.system_ms},
          {"accel_ips", r.accel_ips},
          {"system_ips", r.system_ips},
          {"mapping_utilization", r.mapping_utilization},
          {"pe_utilization", r.pe_utilization},
          {"power_w", r.power_w},
          {"static_power_w", r.static_w},
          {"dynamic_power_w", r.dynamic_w},
          {"accel_ips_per_w", r.accel_ips_per_w},
          {"accel_energy_mj_per_timestep", r.energy_mj},
          {"weight_footprint_kib", r.weight_footprint_kib}};
}

void PrintPhases(const aap::TimestepReport& r, double clock_hz) {
  std::cout << fmt::format("\nbatch {}: cycles per phase\n", r.batch);
  std::cout << fmt::format("  {:<18} {:>12} {:>10} {:>14} {:>10} {:>10} {:>9}\n", "phase", "cycles",
                           "time (us)", "MACs", "stall cyc", "latency cyc", "map util");
  for (const auto& p : r.phases) {
    const auto& c = p.cost;
    std::cout << fmt::format("  {:<18} {:>12} {:>10.1f} {:>14} {:>10} {:>10} {:>8.1f}%\n",
                             aap::to_string(p.phase), c.cycles, c.cycles / clock_hz * 1e6, c.macs,
                             c.stall_cycles, c.latency_cycles,
                             c.mac_slots ? 100.0 * c.macs / c.mac_slots : 0.0);
  }
  std::cout << fmt::format("  {:<18} {:>12} {:>10.1f} {:>14}\n", "total", r.total.cycles,
                           r.total.cycles / clock_hz * 1e6, r.total.macs);
}

void PrintSummary(const std::vector<aap::TimestepReport>& rs) {
  std::cout << fmt::format(
      "\n{:>6} {:>11} {:>12} {:>9} {:>9} {:>11} {:>12} {:>9} {:>8} {:>9} {:>9}\n", "batch",
      "accel (ms)", "accel IPS", "env (ms)", "link (ms)", "system (ms)", "system IPS", "map util",
      "PE util", "power (W)", "IPS/W");
  for (const auto& r : rs)
    std::cout << fmt::format(
        "{:>6} {:>11.3f} {:>12.1f} {:>9.3f} {:>9.3f} {:>11.3f} {:>12.1f} {:>8.1f}% {:>7.1f}% "
        "{:>9.2f} {:>9.1f}\n",
        r.batch, r.accel_ms, r.accel_ips, r.env_ms, r.link_ms, r.system_ms, r.system_ips,
        100 * r.mapping_utilization, 100 * r.pe_utilization, r.power_w, r.accel_ips_per_w);
  std::cout << "IPS = batch / time per timestep (the paper's metric), 1/s. accel = accelerator "
               "only; system adds "
               "the host env step + replay sampling and the PCIe/runtime overhead. map util = "
               "useful MACs / PE "
               "slots during compute cycles; PE util = useful MACs / (all accelerator cycles x "
               "peak). power = "
               "average card power while the accelerator runs.\n";
}

void WriteFile(const std::string& path, const std::string& text, const char* flag) {
  WriteOutputFile(flag, path, text);
}

int RunSweep(const SimOptions& o, const aap::AccelConfig& base, const aap::DdpgNetworks& net) {
  for (int c : o.sweep_cores)
    if (c < 1 || c > 64)
      throw std::invalid_argument(fmt::format("--sweep-cores {} is invalid; valid: 1 .. 64", c));
  for (int a : o.sweep_array)
    if (a < 1 || a > 256)
      throw std::invalid_argument(fmt::format("--sweep-array {} is invalid; valid: 1 .. 256", a));
  std::ostringstream csv;
  csv << "cores,rows,cols,mode_bits,batch,accel_cycles,accel_ms,accel_ips,system_ms,system_ips,"
         "mapping_utilization,pe_utilization,power_w,accel_ips_per_w\n";
  plot::PlotSpec spec{
      fmt::format("FIXAR model sweep: {}, {} mode", net.task, aap::to_string(base.array.mode)),
      "batch size (transitions)",
      "accelerator-only throughput (IPS, 1/s)",
      {},
      true,
      true};
  nlohmann::json js = nlohmann::json::array();
  std::cout << fmt::format("{:>5} {:>7} {:>6} {:>12} {:>12} {:>9} {:>9} {:>9}\n", "cores", "array",
                           "batch", "accel IPS", "system IPS", "map util", "power(W)", "IPS/W");
  for (int cores : o.sweep_cores)
    for (int a : o.sweep_array) {
      aap::AccelConfig c = base;
      c.array.cores = cores, c.array.rows = a, c.array.cols = a;
      plot::Series s{
          fmt::format("{} core{}, {}x{}", cores, cores > 1 ? "s" : "", a, a), {}, {}, true, true};
      for (int b : o.batches) {
        const auto r = aap::SimulateTimestep(c, net, b);
        csv << fmt::format(
            "{},{},{},{},{},{},{:.6f},{:.3f},{:.6f},{:.3f},{:.5f},{:.5f},{:.4f},{:.3f}\n", cores, a,
            a, static_cast<int>(c.array.mode), b, r.total.cycles, r.accel_ms, r.accel_ips,
            r.system_ms, r.system_ips, r.mapping_utilization, r.pe_utilization, r.power_w,
            r.accel_ips_per_w);
        std::cout << fmt::format(
            "{:>5} {:>7} {:>6} {:>12.1f} {:>12.1f} {:>8.1f}% {:>9.2f} {:>9.1f}\n", cores,
            fmt::format("{}x{}", a, a), b, r.accel_ips, r.system_ips, 100 * r.mapping_utilization,
            r.power_w, r.accel_ips_per_w);
        s.xs.push_back(b), s.ys.push_back(r.accel_ips);
        auto j = ReportJson(r);
        j["cores"] = cores, j["rows"] = a, j["cols"] = a;
        js.push_back(j);
      }
      spec.series.push_back(std::move(s));
    }
  if (!o.csv_file.empty()) WriteFile(o.csv_file, csv.str(), "--csv");
  spec.x_ticks.assign(o.batches.begin(), o.batches.end());  // ticks at the batch sizes swept
  if (!o.svg_file.empty()) plot::WriteSvgPlot(o.svg_file, spec);
  if (!o.json_file.empty()) WriteFile(o.json_file, js.dump(2) + "\n", "--json");
  for (const auto* f : {&o.csv_file, &o.svg_file, &o.json_file})
    if (!f->empty()) std::cout << "wrote " << *f << "\n";
  return 0;
}

int RunSim(const SimOptions& o) {
  CheckBatches(o.batches);
  if (o.sweep && o.csv_file.empty() && o.svg_file.empty() && o.json_file.empty())
    throw std::invalid_argument(
        "--sweep needs at least one of --csv FILE, --svg FILE, --json FILE");
  if (!o.sweep && (!o.csv_file.empty() || !o.svg_file.empty()))
    throw std::invalid_argument(
        "--csv and --svg are written by a sweep; add --sweep (or use --json)");
  CheckOutputFile("--json", o.json_file);
  CheckOutputFile("--csv", o.csv_file);
  CheckOutputFile("--svg", o.svg_file);
  const aap::DdpgNetworks net = ResolveNetwork(o);
  const aap::AccelConfig cfg = ResolveConfig(o);
  std::cout << fmt::format("FIXAR AAP accelerator model: {} [{}]\nnetwork: {}\n",
                           o.config_file.empty() ? std::string("built-in u50") : o.config_file,
                           Describe(cfg), DescribeNet(net));
  if (o.sweep) return RunSweep(o, cfg, net);
  std::vector<aap::TimestepReport> reports;
  for (int b : o.batches) reports.push_back(aap::SimulateTimestep(cfg, net, b));
  for (const auto& r : reports)
    if (o.phases || reports.size() == 1) PrintPhases(r, cfg.clock_hz());
  PrintSummary(reports);
  const double mem_kib = cfg.memory.weight_capacity_kib;
  if (reports.front().weight_footprint_kib > mem_kib * (cfg.target_networks ? 2 : 1))
    std::cout << fmt::format(
        "warning: the networks' 32-bit weights ({:.1f} KiB incl. targets) exceed the modelled "
        "on-chip weight memory ({:.1f} KiB per copy)\n",
        reports.front().weight_footprint_kib, mem_kib);
  if (!o.json_file.empty()) {
    nlohmann::json j = {{"config", cfg.name},
                        {"accelerator", Describe(cfg)},
                        {"network", DescribeNet(net)},
                        {"clock_mhz", cfg.array.clock_mhz},
                        {"reports", nlohmann::json::array()}};
    for (const auto& r : reports) j["reports"].push_back(ReportJson(r));
    WriteFile(o.json_file, j.dump(2) + "\n", "--json");
    std::cout << "wrote " << o.json_file << "\n";
  }
  return 0;
}

const CommandRegistrar kRegistrar{
    "sim", "Cycle-level model of FIXAR's accelerator: cycles per phase, IPS, utilization, power",
    [](CLI::App& sub) -> std::function<int()> {
      auto o = std::make_shared<SimOptions>();
      sub.add_option("--task", o->task,
                     "Task whose network sizes to use: halfcheetah, hopper, swimmer");
      sub.add_option("--state-dim", o->state_dim, "State dimension (overrides the task's)");
      sub.add_option("--action-dim", o->action_dim, "Action dimension (overrides the task's)");
      sub.add_option("--hidden", o->hidden, "Hidden layer widths, e.g. 400,300")->delimiter(',');
      sub.add_option("--network", o->network_file,
                     "TOML file with a [network] table (task or sizes)");
      sub.add_option("--batch", o->batches, "Batch sizes, e.g. 64,128,256,512")->delimiter(',');
      sub.add_option("--config", o->config_file,
                     "Accelerator config TOML (default: built-in = configs/accel/u50.toml)");
      sub.add_option("--cores", o->cores, "Override: number of AAP cores");
      sub.add_option("--rows", o->rows, "Override: PE rows per core");
      sub.add_option("--cols", o->cols, "Override: PE columns per core");
      sub.add_option("--clock-mhz", o->clock_mhz, "Override: clock (MHz)");
      sub.add_option("--mode", o->mode_bits, "Override: PE activation mode in bits: 32, 16, 8");
      sub.add_option("--env-ms", o->env_ms, "Host environment step time per timestep (ms)");
      sub.add_option("--sample-us", o->sample_us, "Host replay sampling time per transition (us)");
      sub.add_flag("--no-target-networks", o->no_targets, "DDPG without target networks");
      sub.add_flag("--phases", o->phases, "Print cycles per phase for every batch size");
      sub.add_option("--json", o->json_file, "Write the full report as JSON");
      sub.add_flag("--sweep", o->sweep, "Sweep cores x square array size x batch");
      sub.add_option("--sweep-cores", o->sweep_cores, "Cores to sweep (default 1,2,4,8)")
          ->delimiter(',');
      sub.add_option("--sweep-array", o->sweep_array,
                     "Square array sizes to sweep (default 8,16,32)")
          ->delimiter(',');
      sub.add_option("--csv", o->csv_file, "Sweep: write CSV here");
      sub.add_option("--svg", o->svg_file, "Sweep: write an SVG plot (IPS vs batch) here");
      return [o] { return RunSim(*o); };
    }};

}  // namespace
}  // namespace fixar::cli
