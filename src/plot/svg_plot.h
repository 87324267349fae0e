// A small self-contained SVG writer for line and scatter plots: axes with ticks and
// labels, several series with a legend, optional log axes. Used for reward curves,
// accelerator sweeps and Pareto fronts.
#pragma once

#include <string>
#include <vector>

namespace fixar::plot {

struct Series {
  std::string name;
  std::vector<double> xs, ys;  // same length; non-finite points are skipped
  bool lines = true;           // connect the points (else markers only)
  bool markers = false;        // draw a marker at each point (always on when !lines)
  // Optional shaded band around the line (e.g. min–max over seeds): empty, or the same
  // length as xs; drawn in the series' colour, translucent, under the line.
  std::vector<double> band_lo{}, band_hi{};
};

struct PlotSpec {
  std::string title, xlabel, ylabel;  // put units in the labels: "batch size", "IPS (1/s)"
  std::vector<Series> series;
  bool log_x = false, log_y = false;  // base-10; non-positive values are skipped
  int width = 720, height = 480;      // pixels
  std::string caption{};              // optional line under the x label: what lines and bands show
  // Optional x ticks at the data: positions (e.g. the batch sizes swept) replace the
  // automatic ones; labels, when given (same length), replace the numbers (e.g. layer
  // names at positions 0, 1, …). Long labels are drawn slanted.
  std::vector<double> x_ticks{};
  std::vector<std::string> x_tick_labels{};
};

// The SVG document as text. Throws std::invalid_argument naming the series when its xs
// and ys (or a non-empty band) differ in length, when x_tick_labels is neither empty nor
// as long as x_ticks, or when there is no plottable point at all.
std::string RenderSvgPlot(const PlotSpec& spec);
// Writes RenderSvgPlot(spec) to `path`; throws std::runtime_error naming the path on failure.
void WriteSvgPlot(const std::string& path, const PlotSpec& spec);

// "Nice" tick positions (1, 2, 5 × 10^k steps) covering [lo, hi]; exposed for tests.
std::vector<double> NiceTicks(double lo, double hi, int target_count = 6);

}  // namespace fixar::plot
