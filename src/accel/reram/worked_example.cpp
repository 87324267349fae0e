// Prints the worked example of docs/reram.md: a LeNet-5-like net and a small VGG-style
// net for 28x28x1 Fashion-MNIST, priced at uniform 8/8 and 4/4 bits.
// Usage: reram_worked_example [config.toml]   (default: built-in ISAAC figures)
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <vector>

#include "accel/reram/config.h"
#include "accel/reram/cost.h"
#include "layers/layer_shape.h"

namespace {

using fixar::layers::LayerShape;

// LeNet-5 with 'same' padding on conv1 (28x28 input), 2x2 pooling after each conv.
std::vector<LayerShape> LeNet5() {
  // Conv: name, c_in, c_out, kernel, stride, input h, w, output h, w.
  return {LayerShape::Conv("conv1", 1, 6, 5, 1, 28, 28, 28, 28),
          LayerShape::Conv("conv2", 6, 16, 5, 1, 14, 14, 10, 10),
          LayerShape::FullyConnected("fc1", 16 * 5 * 5, 120),
          LayerShape::FullyConnected("fc2", 120, 84),
          LayerShape::FullyConnected("fc3", 84, 10)};
}

// VGG-style: 2x(conv3x3 32) pool, 2x(conv3x3 64) pool, fc 256, fc 10 ('same' padding).
std::vector<LayerShape> SmallVgg() {
  return {LayerShape::Conv("conv1", 1, 32, 3, 1, 28, 28, 28, 28),
          LayerShape::Conv("conv2", 32, 32, 3, 1, 28, 28, 28, 28),
          LayerShape::Conv("conv3", 32, 64, 3, 1, 14, 14, 14, 14),
          LayerShape::Conv("conv4", 64, 64, 3, 1, 14, 14, 14, 14),
          LayerShape::FullyConnected("fc1", 64 * 7 * 7, 256),
          LayerShape::FullyConnected("fc2", 256, 10)};
}

void Report(const fixar::reram::CostModel& model, const char* net, const std::vector<LayerShape>& layers) {
  const auto ref = model.uniform(layers, 8, 8);
  for (int bits : {8, 4}) {
    const auto cost = model.uniform(layers, bits, bits);
    const auto r = fixar::reram::ratio(cost, ref);
    fmt::print("{} at {}/{} bits (w/a):\n", net, bits, bits);
    fmt::print("  {:<6} {:>6} {:>6} {:>6} {:>6} {:>4} {:>11} {:>12} {:>12}\n", "layer", "n", "m", "P", "xbars",
               "cyc", "area mm2", "energy nJ", "latency us");
    for (const auto& l : cost.layers) {
      fmt::print("  {:<6} {:>6} {:>6} {:>6} {:>6} {:>4} {:>11.5f} {:>12.3f} {:>12.3f}\n", l.shape.name, l.shape.rows(),
                 l.shape.cols(), l.shape.output_positions(), l.crossbars, l.input_cycles, l.area_mm2(),
                 l.energy_pj() / 1e3, l.latency_ns / 1e3);
    }
    fmt::print("  total: {} crossbars, {} eDRAM banks, area {:.4f} mm2, energy {:.2f} nJ/inference, "
               "latency {:.2f} us/inference (layer by layer), pipelined interval {:.2f} us\n",
               cost.crossbars, cost.edram_banks, cost.area_mm2(), cost.energy_pj() / 1e3, cost.latency_ns / 1e3,
               cost.pipeline_interval_ns / 1e3);
    fmt::print("  energy split nJ: crossbar {:.2f}, ADC {:.2f}, ADC leakage {:.2f}, DAC {:.3f}, "
               "shift-add {:.2f}, buffer {:.2f}\n",
               cost.energy.crossbar_pj / 1e3, cost.energy.adc_pj / 1e3, cost.energy.adc_leakage_pj / 1e3,
               cost.energy.dac_pj / 1e3, cost.energy.shift_add_pj / 1e3, cost.energy.buffer_pj / 1e3);
    fmt::print("  ratio vs 8/8: crossbars {:.3f}, area {:.3f}, energy {:.3f}, latency {:.3f}\n\n", r.crossbars,
               r.area, r.energy, r.latency);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto config = argc > 1 ? fixar::reram::load_reram_config(argv[1]) : fixar::reram::ReramConfig::Isaac();
    const fixar::reram::CostModel model(config);
    fmt::print("config: {} (X = {}, c = {} bits/cell, d = {}-bit DAC, ADC {} {}, signed weights: {})\n\n",
               config.source, config.crossbar_size, config.cell_bits, config.dac.bits,
               fixar::reram::to_string(config.adc.resolution), config.adc.bits,
               fixar::reram::to_string(config.signed_weights));
    Report(model, "LeNet-5-like", LeNet5());
    Report(model, "small VGG", SmallVgg());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reram_worked_example: %s\n", e.what());
    return 1;
  }
  return 0;
}
