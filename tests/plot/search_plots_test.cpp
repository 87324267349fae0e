// The figures of a bit-width search: the Pareto front and the bits per layer.
#include "plot/search_plots.h"

#include <gtest/gtest.h>

namespace fixar::plot {
namespace {

TEST(SearchPlots, ParetoFrontKeepsThePointsNoCheaperOneBeats) {
  Series a = MakeSeries("ppo", false, true), b = MakeSeries("random", false, true), none = MakeSeries("ddpg", false, true);
  a.xs = {0.5, 0.3, 0.4}, a.ys = {90, 80, 70};
  b.xs = {0.2, 0.45}, b.ys = {60, 85};
  bool has_points = false;
  const PlotSpec p = ParetoFrontPlot("t", "cost", "accuracy (%)", {a, none, b}, 0.4, &has_points);
  EXPECT_TRUE(has_points);
  ASSERT_EQ(p.series.size(), 4u);  // ppo, random (the empty series left out), front, budget
  EXPECT_EQ(p.series[0].name, "ppo");
  EXPECT_EQ(p.series[1].name, "random");
  EXPECT_EQ(p.series[2].name, "Pareto front");
  EXPECT_EQ(p.series[2].xs, (std::vector<double>{0.2, 0.3, 0.45, 0.5}));
  EXPECT_EQ(p.series[2].ys, (std::vector<double>{60, 80, 85, 90}));
  EXPECT_EQ(p.series[3].name, "budget");
  EXPECT_EQ(p.series[3].xs, (std::vector<double>{0.4, 0.4}));
  EXPECT_EQ(p.series[3].ys, (std::vector<double>{60, 90}));  // from the lowest accuracy to the best
  ParetoFrontPlot("t", "x", "y", {none}, 0.4, &has_points);
  EXPECT_FALSE(has_points);
}

TEST(SearchPlots, BitsPerLayerNamesTheTicksAfterTheLayers) {
  const PlotSpec p = BitsPerLayerPlot("bits", {"conv1", "fc1"}, {{"ppo", {4, 8}, {6, 8}}});
  EXPECT_EQ(p.x_tick_labels, (std::vector<std::string>{"conv1", "fc1"}));
  ASSERT_EQ(p.series.size(), 2u);
  EXPECT_EQ(p.series[0].name, "ppo weights");
  EXPECT_EQ(p.series[0].ys, (std::vector<double>{4, 8}));
  EXPECT_EQ(p.series[1].name, "ppo activations");
  EXPECT_EQ(p.series[1].ys, (std::vector<double>{6, 8}));
  EXPECT_NE(RenderSvgPlot(p).find("conv1"), std::string::npos);
}

}  // namespace
}  // namespace fixar::plot
