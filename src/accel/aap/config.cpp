#include "accel/aap/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <utility>
#include <map>
#include <sstream>
#include <stdexcept>

#include "util/toml_integer.h"

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

// Binds TOML keys of one table to fields; anything else is an error naming the key.
class TableReader {
 public:
  TableReader(const toml::table& root, std::string source)
      : root_(root), source_(std::move(source)) {}

  template <typename T>
  void Bind(const std::string& table, const std::string& key, T* field) {
    known_[table].insert({key, [this, table, key, field](const toml::node& node) {
                            Read(table + "." + key, node, field);
                          }});
  }

  void Run() {
    for (const auto& [table_key, table_node] : root_) {
      const std::string tname(table_key.str());
      auto it = known_.find(tname);
      if (it == known_.end()) {
        if (tname == "name" && table_node.is_string()) continue;
        throw std::invalid_argument(fmt::format("{}: unknown table or key '{}'; valid tables: {}",
                                                source_, tname, TableNames()));
      }
      const toml::table* t = table_node.as_table();
      if (!t)
        throw std::invalid_argument(
            fmt::format("{}: '{}' must be a table ([{}])", source_, tname, tname));
      for (const auto& [k, v] : *t) {
        const std::string key(k.str());
        auto f = it->second.find(key);
        if (f == it->second.end()) {
          std::string valid;
          for (const auto& [name, unused] : it->second) valid += (valid.empty() ? "" : ", ") + name;
          throw std::invalid_argument(fmt::format("{}: unknown key '{}.{}'; valid keys in [{}]: {}",
                                                  source_, tname, key, tname, valid));
        }
        f->second(v);
      }
    }
  }

 private:
  void Read(const std::string& key, const toml::node& node, int* field) {
    auto v = util::TomlInteger(node);
    if (!node.is_integer() || !v)
      throw std::invalid_argument(fmt::format("{}: {} must be an integer", source_, key));
    if (!std::in_range<int>(*v))  // no silent narrowing: 4294967298 is not 2
      throw std::invalid_argument(fmt::format("{}: {} = {} is out of range; valid: an integer in {}..{}", source_,
                                              key, *v, std::numeric_limits<int>::min(),
                                              std::numeric_limits<int>::max()));
    *field = static_cast<int>(*v);
  }
  void Read(const std::string& key, const toml::node& node, double* field) {
    if (!node.is_number())
      throw std::invalid_argument(fmt::format("{}: {} must be a number", source_, key));
    if (!std::isfinite(*node.value<double>()))
      throw std::invalid_argument(
          fmt::format("{}: {} = {} is invalid; valid: a finite number", source_, key, *node.value<double>()));
    *field = *node.value<double>();
  }
  void Read(const std::string& key, const toml::node& node, bool* field) {
    if (!node.is_boolean())
      throw std::invalid_argument(fmt::format("{}: {} must be true or false", source_, key));
    *field = *node.value<bool>();
  }
  void Read(const std::string& key, const toml::node& node, PeMode* field) {
    if (!node.is_integer())
      throw std::invalid_argument(
          fmt::format("{}: {} must be an integer (32, 16 or 8)", source_, key));
    const std::int64_t bits = *node.value<std::int64_t>();
    *field = ParsePeMode(std::in_range<int>(bits) ? static_cast<int>(bits) : 0, source_ + ": " + key);
  }
  std::string TableNames() const {
    std::string s;
    for (const auto& [name, unused] : known_) s += (s.empty() ? "" : ", ") + name;
    return s + " (and the string 'name')";
  }

  const toml::table& root_;
  std::string source_;
  std::map<std::string, std::map<std::string, std::function<void(const toml::node&)>>> known_;
};

}  // namespace

AccelConfig ParseAccelConfig(const std::string& toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << e.description() << " (line " << e.source().begin.line << ", column "
       << e.source().begin.column << ")";
    throw std::invalid_argument(fmt::format("{}: malformed TOML: {}", source_name, os.str()));
  }
  AccelConfig c;
  if (auto n = root["name"].value<std::string>()) c.name = *n;
  TableReader r(root, source_name);
  auto& a = c.array;
  r.Bind("array", "cores", &a.cores);
  r.Bind("array", "rows", &a.rows);
  r.Bind("array", "cols", &a.cols);
  r.Bind("array", "clock_mhz", &a.clock_mhz);
  r.Bind("array", "mode_bits", &a.mode);
  r.Bind("array", "line_buffer_bits", &a.line_buffer_bits);
  r.Bind("array", "pipeline_latency_cycles", &a.pipeline_latency_cycles);
  r.Bind("array", "accumulator_bits", &a.accumulator_bits);
  r.Bind("array", "reduction_stages_per_level", &a.reduction_stages_per_level);
  auto& m = c.memory;
  r.Bind("memory", "weight_banks", &m.weight_banks);
  r.Bind("memory", "weight_bank_bits", &m.weight_bank_bits);
  r.Bind("memory", "weight_ports", &m.weight_ports);
  r.Bind("memory", "weight_capacity_kib", &m.weight_capacity_kib);
  r.Bind("memory", "grad_banks", &m.grad_banks);
  r.Bind("memory", "grad_bank_bits", &m.grad_bank_bits);
  r.Bind("memory", "grad_ports", &m.grad_ports);
  r.Bind("memory", "grad_capacity_kib", &m.grad_capacity_kib);
  r.Bind("memory", "weight_bits", &m.weight_bits);
  r.Bind("memory", "gradient_bits", &m.gradient_bits);
  r.Bind("memory", "activation_capacity_kib", &m.activation_capacity_kib);
  r.Bind("adam", "params_per_cycle", &c.adam.params_per_cycle);
  r.Bind("adam", "pipeline_latency_cycles", &c.adam.pipeline_latency_cycles);
  r.Bind("link", "call_overhead_ms", &c.link.call_overhead_ms);
  r.Bind("link", "calls_per_timestep", &c.link.calls_per_timestep);
  r.Bind("link", "latency_us", &c.link.latency_us);
  r.Bind("link", "transfers_per_timestep", &c.link.transfers_per_timestep);
  r.Bind("link", "bandwidth_gb_s", &c.link.bandwidth_gb_s);
  r.Bind("host", "env_step_ms", &c.host.env_step_ms);
  r.Bind("host", "replay_sample_us", &c.host.replay_sample_us);
  r.Bind("power", "static_w", &c.power.static_w);
  r.Bind("power", "pe_clock_pj", &c.power.pe_clock_pj);
  r.Bind("power", "mult_pj", &c.power.mult_pj);
  r.Bind("power", "line_access_pj", &c.power.line_access_pj);
  r.Bind("power", "adam_param_pj", &c.power.adam_param_pj);
  r.Bind("ddpg", "target_networks", &c.target_networks);
  r.Run();
  c.Validate(source_name);
  return c;
}

AccelConfig LoadAccelConfig(const std::string& path) {
  if (std::filesystem::is_directory(path))  // an ifstream opens it and reads nothing
    throw std::invalid_argument(fmt::format("accelerator config '{}' is a directory, not a TOML file", path));
  std::ifstream in(path);
  if (!in)
    throw std::invalid_argument(
        fmt::format("accelerator config '{}' cannot be opened (does the file exist?)", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseAccelConfig(ss.str(), path);
}

}  // namespace fixar::aap
