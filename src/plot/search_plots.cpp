#include "plot/search_plots.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace fixar::plot {

Series MakeSeries(std::string name, bool lines, bool markers) {
  Series s;
  s.name = std::move(name);
  s.lines = lines;
  s.markers = markers;
  return s;
}

namespace {
PlotSpec MakePlot(std::string title, std::string xlabel, std::string ylabel) {
  PlotSpec p;
  p.title = std::move(title);
  p.xlabel = std::move(xlabel);
  p.ylabel = std::move(ylabel);
  return p;
}
}  // namespace

PlotSpec ParetoFrontPlot(std::string title, std::string xlabel, std::string ylabel, std::vector<Series> measured,
                         double budget, bool* has_points) {
  PlotSpec pareto = MakePlot(std::move(title), std::move(xlabel), std::move(ylabel));
  std::vector<std::pair<double, double>> pts;
  for (Series& s : measured) {
    for (std::size_t i = 0; i < s.xs.size(); ++i) pts.emplace_back(s.xs[i], s.ys[i]);
    if (!s.xs.empty()) pareto.series.push_back(std::move(s));
  }
  std::sort(pts.begin(), pts.end());
  Series front = MakeSeries("Pareto front", true, false);
  double best_y = -1;
  for (const auto& [x, y] : pts)
    if (y > best_y) front.xs.push_back(x), front.ys.push_back(y), best_y = y;
  if (!front.xs.empty()) pareto.series.push_back(front);
  Series budget_line = MakeSeries("budget", true, false);
  budget_line.xs = {budget, budget};
  budget_line.ys = {pts.empty() ? 0.0
                                : std::min_element(pts.begin(), pts.end(),
                                                   [](auto& a, auto& b) { return a.second < b.second; })
                                      ->second,
                    best_y};
  pareto.series.push_back(budget_line);
  if (has_points) *has_points = !pts.empty();
  return pareto;
}

PlotSpec BitsPerLayerPlot(std::string title, const std::vector<std::string>& layer_names,
                          const std::vector<LayerBitsSeries>& assignments) {
  PlotSpec bits_plot = MakePlot(std::move(title), "weight layer", "bits");
  for (std::size_t l = 0; l < layer_names.size(); ++l) {  // ticks named after the layers
    bits_plot.x_ticks.push_back(static_cast<double>(l));
    bits_plot.x_tick_labels.push_back(layer_names[l]);
  }
  for (const LayerBitsSeries& b : assignments) {
    Series w = MakeSeries(fmt::format("{} weights", b.name), true, true);
    Series a = MakeSeries(fmt::format("{} activations", b.name), true, true);
    for (std::size_t l = 0; l < b.weight_bits.size(); ++l) {
      w.xs.push_back(static_cast<double>(l));
      w.ys.push_back(b.weight_bits[l]);
      a.xs.push_back(static_cast<double>(l));
      a.ys.push_back(b.activation_bits[l]);
    }
    bits_plot.series.push_back(std::move(w));
    bits_plot.series.push_back(std::move(a));
  }
  return bits_plot;
}

}  // namespace fixar::plot
