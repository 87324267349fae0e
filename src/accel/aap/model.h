// Cycle-level performance and power model of FIXAR's AAP accelerator.
//
// Dataflow (docs/accelerator.md has the full list of assumptions):
//  * Matrix–vector products by column-wise decomposition: each cycle a core takes a tile
//    of rows × cols weights; PE row r receives one broadcast activation x_j, PE column c
//    holds output neuron i, partial sums flow down the column into its accumulator.
//  * Training (intra-batch parallelism): the cores work on different samples of the batch
//    at the same time and all use the same weight tile (one fetch, broadcast). The PE's
//    lanes (two in 16-bit mode) take further samples with the same 32-bit weight. Input
//    gradients stream 32-bit errors, so they use one lane. Weight gradients are outer
//    products dY xᵀ per sample, summed across cores (cross-core reduction) and
//    read-modify-written into the gradient memory.
//  * Inference of a single vector (intra-layer parallelism): input-column tiles are
//    interleaved across cores; the cores' partial sums are reduced by an adder tree.
//  * Each dependent layer op exposes the column adder chain (rows cycles) plus the
//    pipeline latency once per round of samples; memory bandwidth shortfalls stall.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "accel/aap/config.h"
#include "accel/aap/network.h"

namespace fixar::aap {

// Cost of one layer op.
struct OpCost {
  std::uint64_t cycles = 0;          // total = compute + stall + latency
  std::uint64_t compute_cycles = 0;  // tile steps (one tile per core per cycle)
  std::uint64_t stall_cycles = 0;    // extra cycles waiting on memory or the line buffer
  std::uint64_t latency_cycles = 0;  // exposed pipeline fill/drain and cross-core reduction
  std::uint64_t rounds = 0;          // rounds of samples (cores × lanes samples per round)
  std::uint64_t macs = 0;            // useful multiply-accumulates
  std::uint64_t mac_slots = 0;       // PE-lane slots offered during compute cycles
  double multiplier_ops = 0;         // 32×16 multiplier products (a 32-bit MAC uses two)
  std::uint64_t weight_line_reads = 0;
  std::uint64_t grad_line_accesses = 0;  // reads + writes of the gradient memory
  std::uint64_t act_line_accesses = 0;   // activation memory <-> line buffer / write-back
  std::uint64_t adam_params = 0;
};
OpCost CostOf(const AccelConfig& cfg, const LayerOp& op);

struct PhaseReport {
  Phase phase{};
  OpCost cost;
};

struct TimestepReport {
  std::string config_name, task;
  int batch = 0;
  std::array<PhaseReport, kNumPhases> phases{};
  OpCost total;
  // Time per timestep (ms) and throughput (IPS = batch / timestep time, the paper's metric).
  double accel_ms = 0, env_ms = 0, link_ms = 0, system_ms = 0;
  double accel_ips = 0, system_ips = 0;
  double mapping_utilization = 0;  // useful MACs / PE-lane slots during compute cycles
  double pe_utilization = 0;       // useful MACs / (all accelerator cycles × peak MACs per cycle)
  double power_w = 0;              // average card power while the accelerator runs
  double static_w = 0, dynamic_w = 0;
  double accel_ips_per_w = 0;
  double energy_mj = 0;             // accelerator energy per timestep
  double weight_footprint_kib = 0;  // actor + critic (+ targets) at 32 bits
};

TimestepReport SimulateTimestep(const AccelConfig& cfg, const DdpgNetworks& net, int batch);

// Peak multiply-accumulates per second of the configured mode (84 G for 32-bit, 168 G for 16-bit).
double PeakMacsPerSecond(const AccelConfig& cfg);

}  // namespace fixar::aap
