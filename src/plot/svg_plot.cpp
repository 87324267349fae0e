#include "plot/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace fixar::plot {

namespace {

// Colour-blind-safe palette (Okabe & Ito).
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#F0E442", "#000000"};

std::string Escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string TickLabel(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e6 || a < 1e-3) return fmt::format("{:.3g}", v);
  return fmt::format("{:g}", std::round(v * 1e6) / 1e6);
}

struct Axis {
  bool log = false;
  double lo = 0, hi = 1;  // in transformed units (log10 when log)
  double T(double v) const { return log ? std::log10(v) : v; }
};

bool Usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

void CheckLengths(const PlotSpec& spec, const Series& s) {
  if (s.xs.size() != s.ys.size())
    throw std::invalid_argument(fmt::format("plot '{}': series '{}' has {} x values but {} y values", spec.title,
                                            s.name, s.xs.size(), s.ys.size()));
  for (const std::vector<double>* band : {&s.band_lo, &s.band_hi})
    if (!band->empty() && band->size() != s.xs.size())
      throw std::invalid_argument(fmt::format(
          "plot '{}': series '{}' has {} x values but a band of {} values (give none or one per x value)",
          spec.title, s.name, s.xs.size(), band->size()));
  if (s.band_lo.empty() != s.band_hi.empty())
    throw std::invalid_argument(fmt::format("plot '{}': series '{}' has only one side of its band (give band_lo "
                                            "and band_hi)", spec.title, s.name));
}

// The band of a series as a translucent polygon: along the upper edge, back along the
// lower; points with a non-plottable value are left out.
template <typename PX, typename PY>
std::string BandPolygon(const Series& s, const Axis& ax, const Axis& ay, PX px, PY py, const char* colour) {
  if (s.band_lo.empty()) return "";
  std::vector<size_t> idx;
  for (size_t i = 0; i < s.xs.size(); ++i)
    if (Usable(s.xs[i], ax.log) && Usable(s.band_lo[i], ay.log) && Usable(s.band_hi[i], ay.log)) idx.push_back(i);
  if (idx.empty()) return "";
  std::string points;
  for (size_t i : idx) points += fmt::format("{:.2f},{:.2f} ", px(s.xs[i]), py(s.band_hi[i]));
  for (auto it = idx.rbegin(); it != idx.rend(); ++it)
    points += fmt::format("{:.2f},{:.2f} ", px(s.xs[*it]), py(s.band_lo[*it]));
  return fmt::format("<polygon fill=\"{}\" fill-opacity=\"0.18\" stroke=\"none\" points=\"{}\"/>\n", colour,
                     points);
}

}  // namespace

std::vector<double> NiceTicks(double lo, double hi, int target_count) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, target_count);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

namespace {

// The axes' ranges (transformed units, 5 % padding) from every plottable point of the
// series and their bands. Throws when the series are malformed or nothing is plottable.
void FitAxes(const PlotSpec& spec, Axis& ax, Axis& ay) {
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const Series& s : spec.series) {
    CheckLengths(spec, s);
    for (size_t i = 0; i < s.xs.size(); ++i) {
      if (!Usable(s.xs[i], ax.log)) continue;
      bool used = false;
      for (const std::vector<double>* v : {&s.ys, &s.band_lo, &s.band_hi}) {
        if (v->empty() || !Usable((*v)[i], ay.log)) continue;
        ymin = std::min(ymin, ay.T((*v)[i])), ymax = std::max(ymax, ay.T((*v)[i]));
        used = true;
      }
      if (used) xmin = std::min(xmin, ax.T(s.xs[i])), xmax = std::max(xmax, ax.T(s.xs[i]));
    }
  }
  if (!(xmin <= xmax))
    throw std::invalid_argument(
        fmt::format("plot '{}': no plottable point (all series empty, "
                    "non-finite, or non-positive on a log axis)",
                    spec.title));
  auto pad = [](double& lo, double& hi, bool log) {
    if (hi == lo) {
      const double d = log ? 0.5 : (lo == 0 ? 1.0 : std::fabs(lo) * 0.1);
      lo -= d, hi += d;
    } else {
      const double d = (hi - lo) * 0.05;
      lo -= d, hi += d;
    }
  };
  pad(xmin, xmax, ax.log);
  pad(ymin, ymax, ay.log);
  ax.lo = xmin, ax.hi = xmax, ay.lo = ymin, ay.hi = ymax;
}

// Tick positions: 1-2-5 steps per decade on a short log axis, decades only on a long
// one, NiceTicks on a linear axis.
std::vector<double> AxisTicks(const Axis& a) {
  std::vector<double> t;
  if (!a.log) return NiceTicks(a.lo, a.hi);
  const bool decades_only = a.hi - a.lo > 4;
  for (double e = std::floor(a.lo); e <= std::ceil(a.hi); e += 1)
    for (double m : {1.0, 2.0, 5.0})
      if (m == 1.0 || !decades_only) t.push_back(m * std::pow(10.0, e));
  return t;
}

}  // namespace

namespace {

// Where the plot area sits in the document: margins grow with the legend's longest name
// and, for slanted x tick labels, with the longest label.
struct Frame {
  Axis ax, ay;
  double left = 80, top = 40, right = 0, bottom = 0, W = 0, H = 0, pw = 0, ph = 0, slant_room = 0;
  bool slanted = false;
  double px(double v) const { return left + (ax.T(v) - ax.lo) / (ax.hi - ax.lo) * pw; }
  double py(double v) const { return top + ph - (ay.T(v) - ay.lo) / (ay.hi - ay.lo) * ph; }
};

Frame LayOut(const PlotSpec& spec) {
  Frame f{.ax = {spec.log_x}, .ay = {spec.log_y}};
  FitAxes(spec, f.ax, f.ay);
  if (!spec.x_tick_labels.empty() && spec.x_tick_labels.size() != spec.x_ticks.size())
    throw std::invalid_argument(fmt::format("plot '{}': {} x tick labels for {} x ticks", spec.title,
                                            spec.x_tick_labels.size(), spec.x_ticks.size()));
  // x tick labels: numbers, or the given labels; slanted when the longest would not fit
  // under its tick (~7 px a character), which needs room below the axis.
  std::size_t longest_label = 0;
  for (const std::string& l : spec.x_tick_labels) longest_label = std::max(longest_label, l.size());

  // The legend column grows with the longest series name (~7 px a character at 12 px
  // sans-serif), widening the document so the plot area keeps its size.
  std::size_t longest_name = 0;
  for (const Series& s : spec.series) longest_name = std::max(longest_name, s.name.size());
  f.right = std::max(180.0, 44.0 + 7.0 * static_cast<double>(longest_name));
  f.W = spec.width + (f.right - 180.0);
  const double tick_room =
      spec.x_ticks.empty() ? f.W : (f.W - f.left - f.right) / static_cast<double>(spec.x_ticks.size());
  f.slanted = 7.0 * static_cast<double>(longest_label) > tick_room;
  f.slant_room = f.slanted ? 3.5 * static_cast<double>(longest_label) : 0;  // sin 30° of the label
  f.bottom = (spec.caption.empty() ? 60 : 80) + f.slant_room, f.H = spec.height + f.slant_room;
  f.pw = f.W - f.left - f.right, f.ph = f.H - f.top - f.bottom;
  return f;
}

// Ticks, grid lines and tick labels of both axes.
std::string TicksSvg(const PlotSpec& spec, const Frame& f) {
  std::string svg;
  const std::vector<double> x_ticks = spec.x_ticks.empty() ? AxisTicks(f.ax) : spec.x_ticks;
  for (std::size_t i = 0; i < x_ticks.size(); ++i) {
    const double t = x_ticks[i];
    if (!Usable(t, f.ax.log) || f.ax.T(t) < f.ax.lo - 1e-9 || f.ax.T(t) > f.ax.hi + 1e-9) continue;
    const double x = f.px(t);
    const std::string label = spec.x_tick_labels.empty() ? TickLabel(t) : Escape(spec.x_tick_labels[i]);
    svg +=
        fmt::format("<line x1=\"{0:.2f}\" y1=\"{1}\" x2=\"{0:.2f}\" y2=\"{2}\" stroke=\"#ddd\"/>\n",
                    x, f.top, f.top + f.ph);
    if (f.slanted)
      svg += fmt::format("<text x=\"{0:.2f}\" y=\"{1}\" text-anchor=\"end\" transform=\"rotate(-30 {0:.2f} {1})\">{2}</text>\n",
                         x + 4, f.top + f.ph + 14, label);
    else
      svg += fmt::format("<text x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x, f.top + f.ph + 18, label);
  }
  for (double t : AxisTicks(f.ay)) {
    if (f.ay.T(t) < f.ay.lo - 1e-9 || f.ay.T(t) > f.ay.hi + 1e-9) continue;
    const double y = f.py(t);
    svg +=
        fmt::format("<line x1=\"{0}\" y1=\"{1:.2f}\" x2=\"{2}\" y2=\"{1:.2f}\" stroke=\"#ddd\"/>\n",
                    f.left, y, f.left + f.pw);
    svg += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{}</text>\n", f.left - 6,
                       y + 4, TickLabel(t));
  }
  return svg;
}

// The plot area's border, the axis labels and the caption.
std::string FrameSvg(const PlotSpec& spec, const Frame& f) {
  std::string svg = fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", f.left,
      f.top, f.pw, f.ph);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", f.left + f.pw / 2,
                     f.H - f.bottom + 44 + f.slant_room, Escape(spec.xlabel + (f.ax.log ? " (log scale)" : "")));
  if (!spec.caption.empty())
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">{}</text>\n",
                       f.left + f.pw / 2, f.H - 12, Escape(spec.caption));
  svg += fmt::format(
      "<text x=\"18\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 18 "
      "{0})\">{1}</text>\n",
      f.top + f.ph / 2, Escape(spec.ylabel + (f.ay.log ? " (log scale)" : "")));
  return svg;
}

// Series k: its markers and line, and its legend entry.
std::string SeriesSvg(const Series& s, std::size_t k, const Frame& f) {
  std::string svg;
  const char* colour = kColours[k % std::size(kColours)];
  // Past the palette, repeat the colours with a dash pattern so series stay distinct.
  const char* dash = k < std::size(kColours)
                         ? ""
                         : (k < 2 * std::size(kColours) ? " stroke-dasharray=\"6 3\""
                                                        : " stroke-dasharray=\"2 2\"");
  std::string points;
  for (size_t i = 0; i < s.xs.size(); ++i) {
    if (!Usable(s.xs[i], f.ax.log) || !Usable(s.ys[i], f.ay.log)) continue;
    points += fmt::format("{:.2f},{:.2f} ", f.px(s.xs[i]), f.py(s.ys[i]));
    if (s.markers || !s.lines)
      svg += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3\" fill=\"{}\"/>\n",
                         f.px(s.xs[i]), f.py(s.ys[i]), colour);
  }
  if (s.lines && !points.empty())
    svg += fmt::format(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} points=\"{}\"/>\n", colour,
        dash, points);
  const double ly = f.top + 10 + 20.0 * static_cast<double>(k);
  svg += fmt::format(
      "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"{}\" "
      "stroke-width=\"3\"{}/>\n",
      f.left + f.pw + 10, ly - 2, f.left + f.pw + 28, ly - 2, colour, dash);
  svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{}</text>\n", f.left + f.pw + 32, ly + 2,
                     Escape(s.name));
  return svg;
}

}  // namespace

std::string RenderSvgPlot(const PlotSpec& spec) {
  const Frame f = LayOut(spec);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n",
      f.W, f.H);
  svg += fmt::format("<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
                     f.left + f.pw / 2, Escape(spec.title));
  svg += TicksSvg(spec, f);
  svg += FrameSvg(spec, f);
  // Bands first, so that no band covers another series' line.
  auto px = [&](double v) { return f.px(v); };
  auto py = [&](double v) { return f.py(v); };
  for (size_t k = 0; k < spec.series.size(); ++k)
    svg += BandPolygon(spec.series[k], f.ax, f.ay, px, py, kColours[k % std::size(kColours)]);
  for (size_t k = 0; k < spec.series.size(); ++k) svg += SeriesSvg(spec.series[k], k, f);
  svg += "</svg>\n";
  return svg;
}

void WriteSvgPlot(const std::string& path, const PlotSpec& spec) {
  const std::string svg = RenderSvgPlot(spec);
  std::ofstream out(path);
  if (!out) throw std::runtime_error(fmt::format("cannot write plot to '{}'", path));
  out << svg;
  out.close();  // the last buffer reaches the file here: a full disk fails here, not silently in a destructor
  if (!out) throw std::runtime_error(fmt::format("error while writing plot to '{}'", path));
}

}  // namespace fixar::plot
