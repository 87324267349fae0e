// The SVG writer: bands, captions and the checks on series lengths.
#include <gtest/gtest.h>

#include <stdexcept>

#include "plot/svg_plot.h"

namespace fixar::plot {
namespace {

PlotSpec TwoSeries() {
  Series a, b;
  a.name = "series a", a.xs = b.xs = {1, 2, 3}, a.ys = {1, 2, 3};
  b.name = "series b", b.ys = {2, 2, 2};
  PlotSpec spec;
  spec.title = "two series";
  spec.series = {a, b};
  return spec;
}

TEST(SvgPlot, BandIsAPolygonUnderTheLines) {
  PlotSpec spec = TwoSeries();
  spec.series[0].band_lo = {0, 1, 2};
  spec.series[0].band_hi = {2, 3, 40};  // widens the y range to 40
  const std::string svg = RenderSvgPlot(spec);
  const auto polygon = svg.find("<polygon");
  ASSERT_NE(polygon, std::string::npos);
  EXPECT_EQ(svg.find("<polygon", polygon + 1), std::string::npos);  // series b has no band
  EXPECT_LT(polygon, svg.find("<polyline"));
  EXPECT_NE(svg.find(">40<"), std::string::npos);  // a y tick at the band's top
}

TEST(SvgPlot, CaptionUnderTheXLabel) {
  PlotSpec spec = TwoSeries();
  spec.xlabel = "steps";
  spec.caption = "band: min–max over seeds & more";
  const std::string svg = RenderSvgPlot(spec);
  EXPECT_NE(svg.find("band: min–max over seeds &amp; more"), std::string::npos);
  EXPECT_LT(svg.find(">steps<"), svg.find("band: min"));
}

// Ticks at the data: the batch sizes of a log-scale sweep, not 1-2-5 steps.
TEST(SvgPlot, GivenXTicksReplaceTheAutomaticOnes) {
  PlotSpec spec = TwoSeries();
  spec.log_x = true;
  spec.series[0].xs = spec.series[1].xs = {64, 128, 512};
  const std::string automatic = RenderSvgPlot(spec);
  EXPECT_NE(automatic.find(">100<"), std::string::npos);
  spec.x_ticks = {64, 128, 512};
  const std::string svg = RenderSvgPlot(spec);
  for (const char* t : {">64<", ">128<", ">512<"}) EXPECT_NE(svg.find(t), std::string::npos) << t;
  EXPECT_EQ(svg.find(">100<"), std::string::npos);
  EXPECT_EQ(svg.find(">200<"), std::string::npos);
}

// Named ticks (layer names at 0, 1, 2): short ones upright, long ones slanted below the
// axis with the x label under them; a label list of the wrong length is refused.
TEST(SvgPlot, NamedXTicksAreSlantedWhenLong) {
  PlotSpec spec = TwoSeries();
  spec.xlabel = "layer";
  spec.series[0].xs = spec.series[1].xs = {0, 1, 2};
  spec.x_ticks = {0, 1, 2};
  spec.x_tick_labels = {"a", "b", "c<"};
  std::string svg = RenderSvgPlot(spec);
  EXPECT_NE(svg.find(">c&lt;<"), std::string::npos);
  EXPECT_EQ(svg.find("rotate(-30"), std::string::npos);
  spec.x_tick_labels = {"features.conv1", "features.conv2", "classifier.fc_final_layer_with_a_long_name"};
  svg = RenderSvgPlot(spec);
  EXPECT_NE(svg.find("rotate(-30"), std::string::npos);
  EXPECT_NE(svg.find(">features.conv2<"), std::string::npos);
  EXPECT_LT(svg.find(">classifier.fc_final"), svg.find(">layer<"));
  spec.x_tick_labels = {"a", "b"};
  EXPECT_THROW(RenderSvgPlot(spec), std::invalid_argument);
}

TEST(SvgPlot, BandOfTheWrongLengthIsRefused) {
  PlotSpec spec = TwoSeries();
  spec.series[1].band_lo = {1, 2};
  spec.series[1].band_hi = {3, 4};
  try {
    RenderSvgPlot(spec);
    FAIL() << "a band of 2 values for 3 points was drawn";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("series 'series b' has 3 x values but a band of 2 values"), std::string::npos)
        << e.what();
  }
  spec.series[1].band_lo = {1, 2, 3};
  spec.series[1].band_hi = {};
  EXPECT_THROW(RenderSvgPlot(spec), std::invalid_argument);
}

TEST(SvgPlot, NothingPlottableIsRefused) {
  PlotSpec spec = TwoSeries();
  spec.log_y = true;
  for (Series& s : spec.series) s.ys = {0, -1, -2};
  EXPECT_THROW(RenderSvgPlot(spec), std::invalid_argument);
}

TEST(SvgPlot, NiceTicksCoverTheRange) {
  EXPECT_EQ(NiceTicks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
}

}  // namespace
}  // namespace fixar::plot
