// The cost equations of docs/reram.md; each line names the equation it computes.
#include "accel/reram/cost.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "util/int_math.h"

namespace fixar::reram {

namespace {

// ceil(log2(x)) for x >= 1: the bits that index x rows (log2(128) = 7).
int CeilLog2(std::int64_t x) {
  int bits = 0;
  while ((std::int64_t{1} << bits) < x) ++bits;
  return bits;
}

void CheckShape(const layers::LayerShape& s) {
  auto check = [&](const char* field, std::int64_t v) {
    if (v < 1) {
      throw std::invalid_argument(
          fmt::format("reram layer '{}': {} = {} is invalid: must be >= 1", s.name, field, v));
    }
  };
  check("rows", s.rows());
  check("cols", s.cols());
  check("output_positions", s.output_positions());
}

void CheckBits(const std::string& layer, const char* field, int v) {
  if (v < 1 || v > 16) {
    throw std::invalid_argument(
        fmt::format("reram layer '{}': {} = {} is invalid: bits must be in [1, 16]", layer, field, v));
  }
}

}  // namespace

CostModel::CostModel(ReramConfig config) : config_(std::move(config)) { config_.validate(); }

int CostModel::lossless_adc_bits(std::int64_t rows, layers::LayerBits bits) const {
  // (5) A column sums min(n, X) products of a c'-bit cell and a d'-bit input. c' and d'
  // are capped by the bits actually stored/applied (a 1-bit weight uses 1 bit of a 2-bit
  // cell), so fewer bits never ask for a finer ADC. The -1 for c' = d' = 1 is the
  // autoq.md rule (a 1x1-bit product sum of R rows needs log2(R) + 1 bits).
  const std::int64_t rows_used = std::min<std::int64_t>(rows, config_.crossbar_size);
  const int c_eff = std::min(config_.cell_bits, bits.weight_bits);
  const int d_eff = std::min(config_.dac.bits, bits.activation_bits);
  return CeilLog2(rows_used) + c_eff + d_eff - ((c_eff == 1 && d_eff == 1) ? 1 : 0);
}

int CostModel::adc_bits(std::int64_t rows, layers::LayerBits bits) const {
  return config_.adc.resolution == AdcResolution::kFixed ? config_.adc.bits : lossless_adc_bits(rows, bits);
}

LayerCost CostModel::layer(const layers::LayerShape& shape, layers::LayerBits bits, int output_bits) const {
  CheckShape(shape);
  CheckBits(shape.name, "weight_bits", bits.weight_bits);
  CheckBits(shape.name, "activation_bits", bits.activation_bits);
  if (output_bits == 0) output_bits = bits.activation_bits;
  CheckBits(shape.name, "output_bits", output_bits);

  const ReramConfig& k = config_;
  const std::int64_t X = k.crossbar_size;
  const std::int64_t P = shape.output_positions();
  LayerCost r;
  r.shape = shape;
  r.bits = bits;
  r.output_bits = output_bits;

  // --- Mapping ---------------------------------------------------------------------
  r.slices = static_cast<int>(util::CeilDiv<std::int64_t>(bits.weight_bits, k.cell_bits));                    // (1)
  r.polarity = k.signed_weights == SignedWeights::kDifferential ? 2 : 1;
  const std::int64_t offset_cols = k.signed_weights == SignedWeights::kOffsetColumn ? k.offset_columns : 0;
  r.columns = shape.cols() * r.slices * r.polarity + offset_cols;                         // (2)
  r.row_blocks = util::CeilDiv<std::int64_t>(shape.rows(), X);
  r.column_blocks = util::CeilDiv<std::int64_t>(r.columns, X);
  r.crossbars = r.row_blocks * r.column_blocks;                                           // (3)
  r.input_cycles = static_cast<int>(util::CeilDiv<std::int64_t>(bits.activation_bits, k.dac.bits));          // (4)
  r.adc_bits = adc_bits(shape.rows(), bits);                                              // (5)
  r.adc_bits_lossless = lossless_adc_bits(shape.rows(), bits);

  // --- Instances: every crossbar has X row DACs and adc.per_crossbar ADCs --------------
  r.adcs = r.crossbars * k.adc.per_crossbar;
  r.dacs = r.crossbars * X;
  r.shift_add_units = static_cast<std::int64_t>(
      std::ceil(static_cast<double>(r.crossbars) * k.shift_add.units_per_crossbar - 1e-9));

  // --- Operation counts per inference ---------------------------------------------------
  r.crossbar_reads = r.crossbars * r.input_cycles * P;                                    // (6)
  r.adc_conversions = r.row_blocks * r.columns * r.input_cycles * P;                      // (7)
  r.dac_drives = shape.rows() * r.column_blocks * r.input_cycles * P;                     // (8)
  r.shift_add_ops = r.adc_conversions;                                                    // (9)
  r.buffer_bits = P * (shape.rows() * bits.activation_bits + shape.cols() * output_bits); // (10)

  // --- Time ---------------------------------------------------------------------------
  // (11) One input cycle lasts the analog read, or the time the crossbar's ADCs need to
  // convert its used columns, whichever is longer (ISAAC: 128 columns / 1.28 GS/s = 100 ns).
  const std::int64_t columns_per_adc = util::CeilDiv<std::int64_t>(std::min(r.columns, X), k.adc.per_crossbar);
  r.cycle_ns = std::max(k.crossbar.read_ns, static_cast<double>(columns_per_adc) / k.adc.sample_rate_gsps);
  // (12) All crossbars of the layer work in parallel on one output position; positions
  // and input cycles are sequential; shift-and-add and buffer traffic overlap the next read.
  r.latency_ns = static_cast<double>(P) * r.input_cycles * r.cycle_ns;

  // --- Area (13) ------------------------------------------------------------------------
  const double adc_power_scale = std::pow(k.adc.power_scale_per_bit, r.adc_bits - k.adc.reference_bits);
  const double adc_area_scale = std::pow(k.adc.area_scale_per_bit, r.adc_bits - k.adc.reference_bits);
  const double dac_scale = std::pow(k.dac.scale_per_bit, k.dac.bits - 1);
  r.area.crossbar_mm2 = static_cast<double>(r.crossbars) * k.crossbar.area_mm2;
  r.area.adc_mm2 = static_cast<double>(r.adcs) * k.adc.area_mm2 * adc_area_scale;
  r.area.dac_mm2 = static_cast<double>(r.dacs) * k.dac.area_mm2 * dac_scale;
  r.area.shift_add_mm2 = static_cast<double>(r.shift_add_units) * k.shift_add.area_mm2;

  // --- Energy (14), pJ = mW * ns ---------------------------------------------------------
  r.energy.crossbar_pj = static_cast<double>(r.crossbar_reads) * k.crossbar.power_mw * k.crossbar.read_ns;
  r.energy.adc_pj = static_cast<double>(r.adc_conversions) * k.adc.dynamic_power_mw * adc_power_scale /
                    k.adc.sample_rate_gsps;
  r.energy.dac_pj = static_cast<double>(r.dac_drives) * k.dac.power_mw * dac_scale * k.crossbar.read_ns;
  r.energy.shift_add_pj = static_cast<double>(r.shift_add_ops) * k.shift_add.power_mw / k.shift_add.ops_per_ns;
  r.energy.buffer_pj = static_cast<double>(r.buffer_bits) * k.edram.power_mw / k.edram.bits_per_ns;
  r.energy.adc_leakage_pj = static_cast<double>(r.adcs) * k.adc.leakage_power_mw * adc_power_scale * r.latency_ns;
  return r;
}

NetworkCost CostModel::network(std::span<const layers::LayerShape> layers,
                               std::span<const layers::LayerBits> bits) const {
  if (layers.size() != bits.size()) {
    throw std::invalid_argument(fmt::format(
        "reram network cost: {} layers but {} bit assignments; give one (weight, activation) pair per layer",
        layers.size(), bits.size()));
  }
  NetworkCost n;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const int out_bits = i + 1 < layers.size() ? bits[i + 1].activation_bits : bits[i].activation_bits;
    LayerCost c = layer(layers[i], bits[i], out_bits);
    n.crossbars += c.crossbars;
    n.area.crossbar_mm2 += c.area.crossbar_mm2;
    n.area.adc_mm2 += c.area.adc_mm2;
    n.area.dac_mm2 += c.area.dac_mm2;
    n.area.shift_add_mm2 += c.area.shift_add_mm2;
    n.energy.crossbar_pj += c.energy.crossbar_pj;
    n.energy.adc_pj += c.energy.adc_pj;
    n.energy.dac_pj += c.energy.dac_pj;
    n.energy.shift_add_pj += c.energy.shift_add_pj;
    n.energy.buffer_pj += c.energy.buffer_pj;
    n.energy.adc_leakage_pj += c.energy.adc_leakage_pj;
    n.latency_ns += c.latency_ns;
    n.pipeline_interval_ns = std::max(n.pipeline_interval_ns, c.latency_ns);
    n.layers.push_back(std::move(c));
  }
  // ISAAC-style tiles: one eDRAM bank per crossbars_per_bank crossbars.
  n.edram_banks = util::CeilDiv<std::int64_t>(n.crossbars, config_.edram.crossbars_per_bank);
  n.area.edram_mm2 = static_cast<double>(n.edram_banks) * config_.edram.area_mm2;
  return n;
}

NetworkCost CostModel::uniform(std::span<const layers::LayerShape> layers, int weight_bits, int activation_bits) const {
  const std::vector<layers::LayerBits> bits(layers.size(), layers::LayerBits{weight_bits, activation_bits});
  return network(layers, bits);
}

CostRatio ratio(const NetworkCost& assignment, const NetworkCost& reference) {
  auto div = [](double a, double b) { return b > 0 ? a / b : 1.0; };
  return CostRatio{div(static_cast<double>(assignment.crossbars), static_cast<double>(reference.crossbars)),
                   div(assignment.area_mm2(), reference.area_mm2()),
                   div(assignment.energy_pj(), reference.energy_pj()),
                   div(assignment.latency_ns, reference.latency_ns)};
}

CostRatio CostModel::ratio(std::span<const layers::LayerShape> layers, std::span<const layers::LayerBits> bits) const {
  return reram::ratio(network(layers, bits), uniform(layers, 8, 8));
}

}  // namespace fixar::reram
