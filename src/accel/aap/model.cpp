#include "accel/aap/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "util/int_math.h"

namespace fixar::aap {

namespace {

int Log2Ceil(int n) {
  int l = 0;
  while ((1 << l) < n) ++l;
  return l;
}

// Memory lines needed to hold `count` values of `bits` bits in lines of `line_bits`.
std::uint64_t Lines(std::uint64_t count, int bits, int line_bits) {
  return util::CeilDiv<std::uint64_t>(count * static_cast<std::uint64_t>(bits), static_cast<std::uint64_t>(line_bits));
}

// Multiplier products per MAC: a 32-bit streamed operand uses both 32×16 multipliers.
double MultipliersPerMac(int streamed_bits) {
  return streamed_bits >= 32 ? 2.0 : streamed_bits / 16.0;
}

}  // namespace

double PeakMacsPerSecond(const AccelConfig& cfg) {
  return static_cast<double>(cfg.pes()) * LanesPerPe(cfg.array.mode) * cfg.clock_hz();
}

OpCost CostOf(const AccelConfig& cfg, const LayerOp& op) {
  const auto& a = cfg.array;
  const auto& m = cfg.memory;
  const int mode_bits = static_cast<int>(a.mode);
  OpCost c;
  if (op.kind == OpKind::kAdam) {
    const auto p = static_cast<std::uint64_t>(op.params);
    c.compute_cycles = util::CeilDiv<std::uint64_t>(p, cfg.adam.params_per_cycle);
    c.latency_cycles = cfg.adam.pipeline_latency_cycles;
    c.cycles = c.compute_cycles + c.latency_cycles;
    c.adam_params = p;
    // Gradient read (and clear), weight read + write; m and v live in the Adam unit's own
    // state memory, counted as weight-memory-sized line accesses too (read + write each).
    c.grad_line_accesses = 2 * Lines(p, m.gradient_bits, m.grad_bank_bits);
    c.weight_line_reads = 6 * Lines(p, m.weight_bits, m.weight_bank_bits);
    return c;
  }

  const std::uint64_t R = a.rows, C = a.cols, N = a.cores;
  const double weight_supply =
      static_cast<double>(m.weight_banks) * m.weight_ports;  // lines / cycle
  const double grad_supply = static_cast<double>(m.grad_banks) * m.grad_ports;
  const std::uint64_t weight_lines_per_tile = R * Lines(C, m.weight_bits, m.weight_bank_bits);
  c.macs = static_cast<std::uint64_t>(op.Macs());

  if (op.kind == OpKind::kForward || op.kind == OpKind::kInputGrad) {
    // Forward: outputs = out, reduction over in. Input grad (W^T): outputs = in, reduction over
    // out.
    const std::uint64_t outputs = op.kind == OpKind::kForward ? op.out : op.in;
    const std::uint64_t reduce = op.kind == OpKind::kForward ? op.in : op.out;
    const int streamed_bits = op.kind == OpKind::kForward ? mode_bits : m.gradient_bits;
    const std::uint64_t out_tiles = util::CeilDiv<std::uint64_t>(outputs, C), red_tiles = util::CeilDiv<std::uint64_t>(reduce, R);
    if (op.intra_layer) {
      // One vector: reduction tiles interleaved across cores, then the cross-core adder tree.
      // A single vector cannot use a second lane (the lanes share one weight).
      const std::uint64_t per_core = util::CeilDiv<std::uint64_t>(red_tiles, N);
      const double demand =
          static_cast<double>(std::min<std::uint64_t>(N, red_tiles) * weight_lines_per_tile);
      const double stall = std::max(1.0, demand / weight_supply);
      c.rounds = static_cast<std::uint64_t>(op.vectors);
      c.compute_cycles = c.rounds * out_tiles * per_core;
      c.stall_cycles = static_cast<std::uint64_t>(std::ceil(c.compute_cycles * (stall - 1.0)));
      c.latency_cycles =
          c.rounds * (R + a.pipeline_latency_cycles +
                      static_cast<std::uint64_t>(Log2Ceil(a.cores)) * a.reduction_stages_per_level);
      c.mac_slots = c.compute_cycles * N * R * C;
      c.weight_line_reads = c.rounds * out_tiles * red_tiles * weight_lines_per_tile;
      c.act_line_accesses = c.rounds * (out_tiles * red_tiles + out_tiles);
      c.multiplier_ops = static_cast<double>(c.macs) * MultipliersPerMac(streamed_bits);
    } else {
      const int lanes = streamed_bits >= 32 ? 1 : LanesPerPe(a.mode);
      const std::uint64_t per_round = N * static_cast<std::uint64_t>(lanes);
      c.rounds = util::CeilDiv<std::uint64_t>(static_cast<std::uint64_t>(op.vectors), per_round);
      const double weight_stall = static_cast<double>(weight_lines_per_tile) / weight_supply;
      const double act_stall = static_cast<double>(R * streamed_bits * lanes) / a.line_buffer_bits;
      const double stall = std::max({1.0, weight_stall, act_stall});
      c.compute_cycles = c.rounds * out_tiles * red_tiles;
      c.stall_cycles = static_cast<std::uint64_t>(std::ceil(c.compute_cycles * (stall - 1.0)));
      c.latency_cycles = c.rounds * (R + a.pipeline_latency_cycles);
      c.mac_slots = c.compute_cycles * per_round * R * C;
      c.weight_line_reads = c.compute_cycles * weight_lines_per_tile;  // broadcast to all cores
      // One line-buffer load per core per tile step, one result write-back per output tile.
      c.act_line_accesses = c.rounds * N * (out_tiles * red_tiles + out_tiles);
      c.multiplier_ops = static_cast<double>(c.macs) * MultipliersPerMac(streamed_bits);
    }
  } else {  // kWeightGrad: dW[out × in] += dY[out] x[in]^T per sample
    // PE column c: output neuron (the 32-bit error dY_i); PE row r: input j (activation x_j,
    // split over the lanes: in 16-bit mode a PE multiplies dY_i by two activations).
    const int lanes = LanesPerPe(a.mode);
    const std::uint64_t out_tiles = util::CeilDiv<std::uint64_t>(op.out, C);
    const std::uint64_t in_tiles = util::CeilDiv<std::uint64_t>(op.in, R * lanes);
    c.rounds = util::CeilDiv<std::uint64_t>(static_cast<std::uint64_t>(op.vectors), N);  // one sample per core
    c.compute_cycles = c.rounds * out_tiles * in_tiles;
    // Reduced gradient tile (rows × lanes × cols values) is read-modify-written each cycle.
    const std::uint64_t grad_lines = R * lanes * Lines(C, m.gradient_bits, m.grad_bank_bits);
    const double stall = std::max(1.0, 2.0 * grad_lines / grad_supply);
    c.stall_cycles = static_cast<std::uint64_t>(std::ceil(c.compute_cycles * (stall - 1.0)));
    // Not a dependency of the next op (the input gradient of the same layer runs next);
    // only the cross-core adder tree and the read-modify-write drain once per op.
    c.latency_cycles =
        static_cast<std::uint64_t>(Log2Ceil(a.cores)) * a.reduction_stages_per_level + 2;
    c.mac_slots = c.compute_cycles * N * R * C * lanes;
    c.grad_line_accesses = c.compute_cycles * 2 * grad_lines;
    c.act_line_accesses = c.rounds * N * out_tiles * in_tiles;
    c.multiplier_ops = static_cast<double>(c.macs) * MultipliersPerMac(mode_bits);
  }
  c.cycles = c.compute_cycles + c.stall_cycles + c.latency_cycles;
  return c;
}

namespace {
void Add(OpCost& s, const OpCost& c) {
  s.cycles += c.cycles;
  s.compute_cycles += c.compute_cycles;
  s.stall_cycles += c.stall_cycles;
  s.latency_cycles += c.latency_cycles;
  s.rounds += c.rounds;
  s.macs += c.macs;
  s.mac_slots += c.mac_slots;
  s.multiplier_ops += c.multiplier_ops;
  s.weight_line_reads += c.weight_line_reads;
  s.grad_line_accesses += c.grad_line_accesses;
  s.act_line_accesses += c.act_line_accesses;
  s.adam_params += c.adam_params;
}
}  // namespace

TimestepReport SimulateTimestep(const AccelConfig& cfg, const DdpgNetworks& net, int batch) {
  cfg.Validate("accelerator config '" + cfg.name + "'");
  TimestepReport r;
  r.config_name = cfg.name;
  r.task = net.task;
  r.batch = batch;
  for (int p = 0; p < kNumPhases; ++p) r.phases[p].phase = static_cast<Phase>(p);
  for (const LayerOp& op : BuildDdpgTimestep(net, batch, {cfg.target_networks})) {
    const OpCost c = CostOf(cfg, op);
    Add(r.phases[static_cast<int>(op.phase)].cost, c);
    Add(r.total, c);
  }
  const double f = cfg.clock_hz();
  const double accel_s = static_cast<double>(r.total.cycles) / f;
  r.accel_ms = accel_s * 1e3;
  r.env_ms = cfg.host.env_step_ms + batch * cfg.host.replay_sample_us * 1e-3;
  // Transfers: the batch (s, a, r, s', done as 32-bit words) plus the current state, and
  // the action back.
  const double bytes =
      4.0 * (static_cast<double>(batch) * (2 * net.state_dim + net.action_dim + 2) + net.state_dim +
             net.action_dim);
  r.link_ms = cfg.link.calls_per_timestep * cfg.link.call_overhead_ms +
              cfg.link.transfers_per_timestep * cfg.link.latency_us * 1e-3 +
              bytes / (cfg.link.bandwidth_gb_s * 1e9) * 1e3;
  r.system_ms = r.env_ms + r.link_ms + r.accel_ms;
  r.accel_ips = batch / accel_s;
  r.system_ips = batch / (r.system_ms * 1e-3);
  r.mapping_utilization =
      r.total.mac_slots ? static_cast<double>(r.total.macs) / static_cast<double>(r.total.mac_slots)
                        : 0.0;
  r.pe_utilization = static_cast<double>(r.total.macs) / (accel_s * PeakMacsPerSecond(cfg));
  const auto& p = cfg.power;
  const double dyn_j = (r.total.multiplier_ops * p.mult_pj +
                        static_cast<double>(r.total.weight_line_reads + r.total.grad_line_accesses +
                                            r.total.act_line_accesses) *
                            p.line_access_pj +
                        static_cast<double>(r.total.adam_params) * p.adam_param_pj) *
                       1e-12;
  r.static_w = p.static_w + static_cast<double>(cfg.pes()) * f * p.pe_clock_pj * 1e-12;
  r.dynamic_w = dyn_j / accel_s;
  r.power_w = r.static_w + r.dynamic_w;
  r.accel_ips_per_w = r.accel_ips / r.power_w;
  r.energy_mj = r.power_w * accel_s * 1e3;
  const double params = static_cast<double>(net.ActorParams() + net.CriticParams());
  r.weight_footprint_kib =
      params * (cfg.target_networks ? 2 : 1) * cfg.memory.weight_bits / 8.0 / 1024.0;
  return r;
}

}  // namespace fixar::aap
