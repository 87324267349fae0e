// Configuration of the FIXAR accelerator model: AAP cores, memories, Adam unit, host
// link, power. Every field's default is the paper's U50 build (configs/accel/u50.toml
// says which paper figure each value comes from, or what it was calibrated against).
#pragma once

#include <string>

namespace fixar::aap {

// Activation (streamed-operand) width of the PE array. Weights and gradients stay 32-bit
// in every mode (the paper's Algorithm 1); only activations narrow.
enum class PeMode : int {
  k32 = 32,  // one 32×32 MAC per PE per cycle: w × a_hi16 shifted by 16, plus w × a_lo16
  k16 = 16,  // two independent 32×16 MACs per PE per cycle (the two multipliers, one weight)
  k8 = 8,    // NOT BUILT in the paper: four 32×8 MACs per PE per cycle (hypothetical)
};
const char* to_string(PeMode m);
PeMode ParsePeMode(int bits, const std::string& where);  // throws naming the value; valid 32, 16, 8
// Independent MAC lanes per PE when the streamed operand has this mode's width.
int LanesPerPe(PeMode m);

struct ArrayConfig {
  int cores = 2;             // AAP cores (one per U50 die region)
  int rows = 16;             // PE rows: one broadcast activation per row per cycle
  int cols = 16;             // PE columns: one output neuron per column (partial sums flow down)
  double clock_mhz = 164.0;  // core clock
  PeMode mode = PeMode::k32;
  int line_buffer_bits =
      512;  // activation line buffer per core (rows × act bits × lanes per cycle)
  int pipeline_latency_cycles = 16;    // multiplier + accumulator + activation unit + write-back
                                       // latency exposed once per dependent layer op (calibrated)
  int accumulator_bits = 64;           // accumulator / partial-sum width (functional mode wraps)
  int reduction_stages_per_level = 1;  // cross-core adder-tree latency per log2 level
};

struct MemoryConfig {
  int weight_banks = 16;
  int weight_bank_bits = 512;
  int weight_ports = 2;                 // ports per bank (UltraRAM is dual-ported)
  double weight_capacity_kib = 1025.4;  // 1.05 MB
  int grad_banks = 16;
  int grad_bank_bits = 512;
  int grad_ports = 2;  // one read + one write per cycle: a read-modify-write stream
  double grad_capacity_kib = 1025.4;
  int weight_bits = 32;                   // weights in memory (fixed 32 in the paper)
  int gradient_bits = 32;                 // gradients and back-propagated errors
  double activation_capacity_kib = 2.87;  // 2.94 KB
};

struct AdamConfig {
  int params_per_cycle = 64;  // four 512-bit gradient lines per cycle (calibrated: see docs)
  int pipeline_latency_cycles = 32;
};

struct HostLinkConfig {
  double call_overhead_ms = 0.557;  // XRT runtime overhead per call (calibrated)
  int calls_per_timestep = 3;       // write batch, run kernel, read action
  double latency_us = 2.0;          // PCIe round trip per transfer
  int transfers_per_timestep = 2;   // batch + state to the card, action back
  double bandwidth_gb_s = 0.376;    // effective, incl. host-side batch gather (calibrated)
};

struct HostConfig {
  double env_step_ms = 1.971;       // environment step (MuJoCo) per timestep (calibrated)
  double replay_sample_us = 0.446;  // host replay-buffer sampling per transition (calibrated)
};

struct PowerConfig {
  double static_w = 10.0;        // card + FPGA static (assumption)
  double pe_clock_pj = 30.0;     // per PE per cycle, busy or idle: clock tree, registers
  double mult_pj = 56.5;         // per 32×16 multiplier product incl. adders (calibrated)
  double line_access_pj = 40.0;  // per 512-bit memory line read or write
  double adam_param_pj = 200.0;  // per parameter updated by the Adam unit
};

struct AccelConfig {
  std::string name = "u50";
  ArrayConfig array;
  MemoryConfig memory;
  AdamConfig adam;
  HostLinkConfig link;
  HostConfig host;
  PowerConfig power;
  bool target_networks = true;  // DDPG TD target uses target actor + target critic

  double clock_hz() const { return array.clock_mhz * 1e6; }
  int pes() const { return array.cores * array.rows * array.cols; }
  // Throws std::invalid_argument naming the bad field (prefixed by `where`) and the valid range.
  void Validate(const std::string& where) const;
};

// Reads a TOML file (see configs/accel/u50.toml); missing keys keep the defaults above,
// unknown keys and wrong types are errors naming the key and the file.
AccelConfig LoadAccelConfig(const std::string& path);
AccelConfig ParseAccelConfig(const std::string& toml_text, const std::string& source_name);

}  // namespace fixar::aap
