#include "accel/aap/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <functional>
#include <limits>
#include <utility>
#include <map>
#include <stdexcept>

#include "config/section.h"

namespace fixar::aap {

const char* to_string(PeMode m) {
  switch (m) {
    case PeMode::k32:
      return "32-bit";
    case PeMode::k16:
      return "16-bit";
    case PeMode::k8:
      return "8-bit";
  }
  return "?";
}

PeMode ParsePeMode(int bits, const std::string& where) {
  if (bits == 32) return PeMode::k32;
  if (bits == 16) return PeMode::k16;
  if (bits == 8) return PeMode::k8;
  throw std::invalid_argument(fmt::format(
      "{}: PE mode {} bits is not a mode; valid: 32 (one 32x32 MAC per PE), 16 (two 32x16 MACs), "
      "8 (four 32x8 MACs, hypothetical)",
      where, bits));
}

int LanesPerPe(PeMode m) {
  switch (m) {
    case PeMode::k32:
      return 1;
    case PeMode::k16:
      return 2;
    case PeMode::k8:
      return 4;
  }
  return 1;
}

namespace {

void RequireRange(const std::string& where, const char* field, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi))
    throw std::invalid_argument(
        fmt::format("{}: {} = {} is out of range; valid: {} .. {}", where, field, value, lo, hi));
}

bool IsPowerOfTwo(int x) { return x > 0 && (x & (x - 1)) == 0; }

}  // namespace

void AccelConfig::Validate(const std::string& where) const {
  RequireRange(where, "array.cores", array.cores, 1, 64);
  RequireRange(where, "array.rows", array.rows, 1, 256);
  RequireRange(where, "array.cols", array.cols, 1, 256);
  RequireRange(where, "array.clock_mhz", array.clock_mhz, 1, 2000);
  RequireRange(where, "array.line_buffer_bits", array.line_buffer_bits, 8, 1 << 16);
  RequireRange(where, "array.pipeline_latency_cycles", array.pipeline_latency_cycles, 0, 10000);
  RequireRange(where, "array.accumulator_bits", array.accumulator_bits, 32, 120);
  RequireRange(where, "array.reduction_stages_per_level", array.reduction_stages_per_level, 0, 100);
  RequireRange(where, "memory.weight_banks", memory.weight_banks, 1, 1024);
  RequireRange(where, "memory.grad_banks", memory.grad_banks, 1, 1024);
  RequireRange(where, "memory.weight_ports", memory.weight_ports, 1, 4);
  RequireRange(where, "memory.grad_ports", memory.grad_ports, 1, 4);
  if (memory.grad_ports < 2 && memory.grad_banks < 2)
    throw std::invalid_argument(fmt::format(
        "{}: the gradient memory needs a read and a write per cycle (grad_ports >= 2 or "
        "grad_banks >= 2); got grad_ports = {}, grad_banks = {}",
        where, memory.grad_ports, memory.grad_banks));
  for (auto [field, bits] : {std::pair{"memory.weight_bank_bits", memory.weight_bank_bits},
                             std::pair{"memory.grad_bank_bits", memory.grad_bank_bits}})
    if (!IsPowerOfTwo(bits) || bits < 32)
      throw std::invalid_argument(
          fmt::format("{}: {} = {} is not a power of two >= 32", where, field, bits));
  if (memory.weight_bits != 32 || memory.gradient_bits != 32)
    throw std::invalid_argument(fmt::format(
        "{}: memory.weight_bits = {}, memory.gradient_bits = {}; the model supports only 32 "
        "(the paper keeps weights and gradients 32-bit)",
        where, memory.weight_bits, memory.gradient_bits));
  RequireRange(where, "adam.params_per_cycle", adam.params_per_cycle, 1, 1 << 16);
  RequireRange(where, "adam.pipeline_latency_cycles", adam.pipeline_latency_cycles, 0, 1 << 20);
  RequireRange(where, "link.call_overhead_ms", link.call_overhead_ms, 0, 1e4);
  RequireRange(where, "link.calls_per_timestep", link.calls_per_timestep, 0, 1000);
  RequireRange(where, "link.latency_us", link.latency_us, 0, 1e6);
  RequireRange(where, "link.transfers_per_timestep", link.transfers_per_timestep, 0, 1000);
  RequireRange(where, "link.bandwidth_gb_s", link.bandwidth_gb_s, 1e-6, 1e4);
  RequireRange(where, "host.env_step_ms", host.env_step_ms, 0, 1e6);
  RequireRange(where, "host.replay_sample_us", host.replay_sample_us, 0, 1e6);
  RequireRange(where, "power.static_w", power.static_w, 0, 1e4);
  RequireRange(where, "power.pe_clock_pj", power.pe_clock_pj, 0, 1e6);
  RequireRange(where, "power.mult_pj", power.mult_pj, 0, 1e6);
  RequireRange(where, "power.line_access_pj", power.line_access_pj, 0, 1e6);
  RequireRange(where, "power.adam_param_pj", power.adam_param_pj, 0, 1e6);
  // The line buffer must feed at least one row-slice per cycle.
  const int bits_per_cycle = array.rows * static_cast<int>(array.mode) * LanesPerPe(array.mode);
  if (array.line_buffer_bits < static_cast<int>(array.mode))
    throw std::invalid_argument(fmt::format(
        "{}: array.line_buffer_bits = {} cannot hold one {}-bit activation (a full row-slice "
        "needs {} bits)",
        where, array.line_buffer_bits, static_cast<int>(array.mode), bits_per_cycle));
}

namespace {

// array.mode_bits: 32, 16 or 8.
void BindPeMode(config::Section& t, PeMode& field) {
  const toml::node* n = t.Take("mode_bits");
  if (!n) return;
  const std::string key = t.Key("mode_bits");
  const config::At at{t.source(), key};
  const std::int64_t bits = config::ReadInteger(*n, at);
  if (bits != 32 && bits != 16 && bits != 8)
    config::Fail(at, n, "not a PE mode; valid: 32 (one 32x32 MAC per PE), 16 (two 32x16 MACs), "
                        "8 (four 32x8 MACs, hypothetical)");
  field = ParsePeMode(static_cast<int>(bits), t.source());
}

void BindArrayAndMemory(const toml::table& root, const std::string& source, AccelConfig& c) {
  config::Section t(root["array"].as_table(), source, "array");
  auto& a = c.array;
  t.Integer("cores", a.cores);
  t.Integer("rows", a.rows);
  t.Integer("cols", a.cols);
  t.Number("clock_mhz", a.clock_mhz);
  BindPeMode(t, a.mode);
  t.Integer("line_buffer_bits", a.line_buffer_bits);
  t.Integer("pipeline_latency_cycles", a.pipeline_latency_cycles);
  t.Integer("accumulator_bits", a.accumulator_bits);
  t.Integer("reduction_stages_per_level", a.reduction_stages_per_level);
  t.RejectUnknown();
  config::Section m(root["memory"].as_table(), source, "memory");
  auto& mem = c.memory;
  m.Integer("weight_banks", mem.weight_banks);
  m.Integer("weight_bank_bits", mem.weight_bank_bits);
  m.Integer("weight_ports", mem.weight_ports);
  m.Number("weight_capacity_kib", mem.weight_capacity_kib);
  m.Integer("grad_banks", mem.grad_banks);
  m.Integer("grad_bank_bits", mem.grad_bank_bits);
  m.Integer("grad_ports", mem.grad_ports);
  m.Number("grad_capacity_kib", mem.grad_capacity_kib);
  m.Integer("weight_bits", mem.weight_bits);
  m.Integer("gradient_bits", mem.gradient_bits);
  m.Number("activation_capacity_kib", mem.activation_capacity_kib);
  m.RejectUnknown();
}

void BindTiming(const toml::table& root, const std::string& source, AccelConfig& c) {
  config::Section adam(root["adam"].as_table(), source, "adam");
  adam.Integer("params_per_cycle", c.adam.params_per_cycle);
  adam.Integer("pipeline_latency_cycles", c.adam.pipeline_latency_cycles);
  adam.RejectUnknown();
  config::Section link(root["link"].as_table(), source, "link");
  link.Number("call_overhead_ms", c.link.call_overhead_ms);
  link.Integer("calls_per_timestep", c.link.calls_per_timestep);
  link.Number("latency_us", c.link.latency_us);
  link.Integer("transfers_per_timestep", c.link.transfers_per_timestep);
  link.Number("bandwidth_gb_s", c.link.bandwidth_gb_s);
  link.RejectUnknown();
  config::Section host(root["host"].as_table(), source, "host");
  host.Number("env_step_ms", c.host.env_step_ms);
  host.Number("replay_sample_us", c.host.replay_sample_us);
  host.RejectUnknown();
  config::Section power(root["power"].as_table(), source, "power");
  power.Number("static_w", c.power.static_w);
  power.Number("pe_clock_pj", c.power.pe_clock_pj);
  power.Number("mult_pj", c.power.mult_pj);
  power.Number("line_access_pj", c.power.line_access_pj);
  power.Number("adam_param_pj", c.power.adam_param_pj);
  power.RejectUnknown();
  config::Section ddpg(root["ddpg"].as_table(), source, "ddpg");
  ddpg.Bool("target_networks", c.target_networks);
  ddpg.RejectUnknown();
}

}  // namespace

AccelConfig ParseAccelConfig(const std::string& toml_text, const std::string& source_name) {
  const toml::table root = config::ParseToml(toml_text, source_name);
  config::RejectUnknownTables(root, source_name, {"array", "memory", "adam", "link", "host", "power", "ddpg"},
                              {"name"});
  AccelConfig c;
  if (const toml::node* n = root.get("name")) c.name = config::ReadString(*n, {source_name, "name"});
  BindArrayAndMemory(root, source_name, c);
  BindTiming(root, source_name, c);
  c.Validate(source_name);
  return c;
}

AccelConfig LoadAccelConfig(const std::string& path) {
  return ParseAccelConfig(config::ReadTextFile(path, "accelerator config"), path);
}

}  // namespace fixar::aap
