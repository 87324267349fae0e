// The SVG plot writer.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "plot/svg_plot.h"

namespace fixar::plot {
namespace {

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(Plot, LinesScatterLegendAndLabels) {
  PlotSpec spec{"IPS & batch",
                "batch size",
                "IPS (1/s)",
                {{"2 cores", {64, 128, 256}, {1, 2, 3}, true, false},
                 {"<gpu>", {64, 512}, {2, 1}, false, false}}};
  const std::string svg = RenderSvgPlot(spec);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(Count(svg, "<polyline"), 1u);  // one line series
  EXPECT_EQ(Count(svg, "<circle"), 2u);    // scatter points of the second series
  EXPECT_NE(svg.find("IPS &amp; batch"), std::string::npos);
  EXPECT_NE(svg.find("&lt;gpu&gt;"), std::string::npos);
  EXPECT_NE(svg.find("batch size"), std::string::npos);
}

// A long series name widens the document instead of running off its right edge; the
// plot area keeps its width (its frame is the same rectangle).
TEST(Plot, LongLegendNamesWidenTheDocument) {
  PlotSpec short_names{"t", "x", "y", {{"float32", {1, 2}, {1, 2}, true, false}}};
  PlotSpec long_names = short_names;
  long_names.series[0].name = "session2b_HalfCheetah_ddpg_fixar_mdeadzone";
  const std::string a = RenderSvgPlot(short_names), b = RenderSvgPlot(long_names);
  EXPECT_NE(a.find("width=\"720\""), std::string::npos);
  const double width = std::stod(b.substr(b.find("width=\"") + 7));
  EXPECT_GE(width, 80 + (720 - 80 - 180) + 32 + 7.0 * 42);  // left + plot + legend offset + text
  const auto frame = [](const std::string& svg) { return svg.substr(svg.find("<rect x=")).substr(0, 60); };
  EXPECT_EQ(frame(a), frame(b));
}

TEST(Plot, LogAxisSkipsNonPositiveAndLabelsDecades) {
  PlotSpec spec{"t",  "x", "y", {{"s", {1, 10, 100, 0, -1}, {1, 100, 1000, 5, 5}, true, true}},
                true, true};
  const std::string svg = RenderSvgPlot(spec);
  EXPECT_EQ(Count(svg, "<circle"), 3u);
  EXPECT_NE(svg.find(">1000<"), std::string::npos);
  EXPECT_NE(svg.find("(log scale)"), std::string::npos);
}

TEST(Plot, ErrorsNameTheSeries) {
  PlotSpec bad{"t", "x", "y", {{"broken", {1, 2}, {1}, true, false}}};
  try {
    RenderSvgPlot(bad);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'broken'"), std::string::npos);
  }
  EXPECT_THROW(RenderSvgPlot(PlotSpec{"t", "x", "y", {}}), std::invalid_argument);
  EXPECT_THROW(WriteSvgPlot("/nonexistent/dir/p.svg",
                            PlotSpec{"t", "x", "y", {{"s", {1}, {1}, true, false}}}),
               std::runtime_error);
}

TEST(Plot, NiceTicks) {
  EXPECT_EQ(NiceTicks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  const auto t = NiceTicks(0.013, 0.087, 4);
  ASSERT_FALSE(t.empty());
  EXPECT_GE(t.front(), 0.013);
  EXPECT_LE(t.back(), 0.087 + 1e-12);
}

TEST(Plot, WritesAFile) {
  const std::string path = ::testing::TempDir() + "fixar_plot_test.svg";
  WriteSvgPlot(path, PlotSpec{"t", "x", "y", {{"s", {1, 2}, {3, 4}, true, false}}});
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("<polyline"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace fixar::plot
