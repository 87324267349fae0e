// ReRAM crossbar cost of a CNN with per-layer (weight, activation) bits.
//
// A layer (layers::LayerShape) is priced as a matrix-vector product repeated at every
// output position: n rows (inputs: c_in*k*k for a conv), m columns (outputs: c_out),
// P positions (h*w of the output map; 1 for a fully connected layer). The equations
// (numbered as in docs/reram.md) follow the standard counting in shared/reference/autoq.md:
//   (1) slices      = ceil(w / c)                           cells per weight
//   (2) columns     = m * slices * polarity + offset_cols   per row block
//   (3) crossbars   = ceil(n / X) * ceil(columns / X)
//   (4) cycles      = ceil(a / d)                           bit-serial input cycles
//   (5) adc_bits    = fixed, or ceil(log2(min(n, X))) + c' + d' - [c' = d' = 1]
//   (6..) counts per inference, area, energy, latency (see LayerCost).
// Units are in the field names: _mm2, _pj (1 mW * 1 ns = 1 pJ), _ns.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "accel/reram/config.h"
#include "layers/layer_bits.h"
#include "layers/layer_shape.h"

namespace fixar::reram {

struct EnergyBreakdown {  // pJ per inference
  double crossbar_pj = 0, adc_pj = 0, dac_pj = 0, shift_add_pj = 0, buffer_pj = 0, adc_leakage_pj = 0;
  double total_pj() const { return crossbar_pj + adc_pj + dac_pj + shift_add_pj + buffer_pj + adc_leakage_pj; }
};

struct AreaBreakdown {  // mm^2
  double crossbar_mm2 = 0, adc_mm2 = 0, dac_mm2 = 0, shift_add_mm2 = 0, edram_mm2 = 0;
  double total_mm2() const { return crossbar_mm2 + adc_mm2 + dac_mm2 + shift_add_mm2 + edram_mm2; }
};

struct LayerCost {
  layers::LayerShape shape;
  layers::LayerBits bits;
  int output_bits = 8;             // precision the outputs are written to the buffer at
  // Mapping, equations (1)-(5).
  int slices = 0;                  // (1)
  int polarity = 1;                // 2 for differential pairs
  std::int64_t columns = 0;        // (2) physical columns per row block, offset columns included
  std::int64_t row_blocks = 0;     // ceil(n / X)
  std::int64_t column_blocks = 0;  // ceil(columns / X)
  std::int64_t crossbars = 0;      // (3)
  int input_cycles = 0;            // (4)
  int adc_bits = 0;                // (5) resolution priced
  int adc_bits_lossless = 0;       // (5) what would lose nothing; > adc_bits means the ADC truncates
  // Hardware instances (all crossbars of the layer resident, one copy of the weights).
  std::int64_t adcs = 0, dacs = 0, shift_add_units = 0;
  // Operation counts per inference.
  std::int64_t crossbar_reads = 0;    // (6) crossbars * cycles * P
  std::int64_t adc_conversions = 0;   // (7) row_blocks * columns * cycles * P (used columns only)
  std::int64_t dac_drives = 0;        // (8) n * column_blocks * cycles * P
  std::int64_t shift_add_ops = 0;     // (9) one per conversion
  std::int64_t buffer_bits = 0;       // (10) P * (n * a + m * output_bits)
  // Time, area, energy.
  double cycle_ns = 0;                // (11) max(read_ns, ceil(min(columns, X) / adcs_per_xbar) / f_adc)
  double latency_ns = 0;              // (12) P * cycles * cycle_ns
  AreaBreakdown area;                 // (13) (edram_mm2 is 0 per layer; banks are counted per network)
  EnergyBreakdown energy;             // (14)
  double area_mm2() const { return area.total_mm2(); }
  double energy_pj() const { return energy.total_pj(); }
};

struct NetworkCost {
  std::vector<LayerCost> layers;
  std::int64_t crossbars = 0;
  std::int64_t edram_banks = 0;        // ceil(crossbars / edram.crossbars_per_bank)
  AreaBreakdown area;                  // layers' sum plus eDRAM banks
  EnergyBreakdown energy;              // layers' sum
  double latency_ns = 0;               // one inference, layer after layer (sum)
  double pipeline_interval_ns = 0;     // ISAAC-style inter-layer pipeline: slowest layer (max)
  double area_mm2() const { return area.total_mm2(); }
  double energy_pj() const { return energy.total_pj(); }
};

// Cost of an assignment divided by the cost of the same network at uniform 8/8 bits
// (the budget of the search is "a fraction of the 8-bit cost"). 1 = as costly as 8/8.
struct CostRatio {
  double crossbars = 1, area = 1, energy = 1, latency = 1;
};

class CostModel {
 public:
  // Validates the config (throws std::invalid_argument naming the bad field).
  explicit CostModel(ReramConfig config);
  const ReramConfig& config() const { return config_; }

  // output_bits: precision of the outputs written back (the next layer's activation
  // bits); 0 means "same as bits.activation_bits". Throws std::invalid_argument naming
  // the layer and the bad value for shapes < 1 or bits outside 1..16.
  LayerCost layer(const layers::LayerShape& shape, layers::LayerBits bits, int output_bits = 0) const;

  // bits[i] prices layers[i]; layer i writes its outputs at bits[i+1].activation_bits
  // (the last layer at its own activation bits). Sizes must match.
  NetworkCost network(std::span<const layers::LayerShape> layers, std::span<const layers::LayerBits> bits) const;
  NetworkCost uniform(std::span<const layers::LayerShape> layers, int weight_bits = 8, int activation_bits = 8) const;
  // network(layers, bits) / uniform(layers, 8, 8), metric by metric.
  CostRatio ratio(std::span<const layers::LayerShape> layers, std::span<const layers::LayerBits> bits) const;

  // Equation (5) alone: the resolution priced for a layer with `rows` rows and these bits.
  int adc_bits(std::int64_t rows, layers::LayerBits bits) const;
  int lossless_adc_bits(std::int64_t rows, layers::LayerBits bits) const;

 private:
  ReramConfig config_;
};

CostRatio ratio(const NetworkCost& assignment, const NetworkCost& reference);

}  // namespace fixar::reram
