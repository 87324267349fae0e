// The figures of a bit-width search (`fixar autoq`'s pareto.svg and bits.svg), built from
// plain numbers so that any search driver can draw them: src/autoq hands over its
// measured points and best assignments, src/plot knows nothing of agents or layers.
#pragma once

#include <string>
#include <vector>

#include "plot/svg_plot.h"

namespace fixar::plot {

// Cost–accuracy scatter: `measured` (one series per agent, markers only) plus the Pareto
// front of all their points (those no point of lower or equal cost beats in accuracy; a
// line) and a vertical line at x = budget from the lowest accuracy to the best.
// `has_points` is set false when no series holds a point (nothing worth writing).
PlotSpec ParetoFrontPlot(std::string title, std::string xlabel, std::string ylabel, std::vector<Series> measured,
                         double budget, bool* has_points = nullptr);

// One assignment's bits per layer: a weights and an activations line for each.
struct LayerBitsSeries {
  std::string name;  // "ppo": the series are "ppo weights" and "ppo activations"
  std::vector<int> weight_bits, activation_bits;  // per layer
};
// Bits against the layer index, the ticks named after the layers.
PlotSpec BitsPerLayerPlot(std::string title, const std::vector<std::string>& layer_names,
                          const std::vector<LayerBitsSeries>& assignments);

// A series with the given drawing: lines, markers or both.
Series MakeSeries(std::string name, bool lines, bool markers);

}  // namespace fixar::plot
