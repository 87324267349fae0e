// Pictures of a task: MuJoCo's renderer off screen (OSMesa), the strip, the PNG writer.
#include "envs/render.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "envs/env.h"

namespace fixar::envs {
namespace {

Image Solid(int w, int h, std::uint8_t v) { return {w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * h * 3, v)}; }

TEST(Strip, PutsFramesSideBySideWithWhiteGaps) {
  const Image s = Strip({Solid(3, 2, 10), Solid(2, 2, 20)}, 1);
  EXPECT_EQ(s.width, 3 + 1 + 2);
  EXPECT_EQ(s.height, 2);
  auto px = [&](int x, int y) { return s.rgb[(static_cast<std::size_t>(y) * s.width + x) * 3]; };
  EXPECT_EQ(px(2, 1), 10);
  EXPECT_EQ(px(3, 0), 255);
  EXPECT_EQ(px(4, 1), 20);
  EXPECT_THROW(Strip({Solid(3, 2, 0), Solid(3, 3, 0)}), std::invalid_argument);
}

// Orange pixels (the robot) in the picture of `task`'s initial state.
int RobotPixels(const Image& image) {
  int n = 0;
  for (std::size_t i = 0; i + 2 < image.rgb.size(); i += 3)
    n += image.rgb[i] > 150 && image.rgb[i + 1] > 40 && image.rgb[i + 1] < 150 && image.rgb[i + 2] < 60;
  return n;
}

TEST(Renderer, DrawsTheRobotAndFollowsTheState) {
  if (!RenderingAvailable()) {
    EXPECT_THROW(Renderer("Hopper", 64, 48), std::runtime_error);
    GTEST_SKIP() << "built without OSMesa/libpng";
  }
  auto env = make("Hopper");
  env->reset(3);
  Renderer renderer("Hopper", 96, 72);
  const Image standing = renderer.Render(env->state());
  EXPECT_EQ(standing.width, 96);
  EXPECT_EQ(standing.height, 72);
  ASSERT_EQ(standing.rgb.size(), 96u * 72u * 3u);
  EXPECT_GT(RobotPixels(standing), 40);
  // Tilted by 0.8 rad: the same robot, another picture.
  std::vector<double> tilted = env->state();
  tilted[2] += 0.8;
  const Image fallen = renderer.Render(tilted);
  EXPECT_NE(fallen.rgb, standing.rgb);
  EXPECT_GT(RobotPixels(fallen), 40);
  EXPECT_EQ(renderer.Render(env->state()).rgb, standing.rgb) << "rendering is a function of the state";
  EXPECT_THROW(renderer.Render(std::vector<double>(3, 0.0)), std::invalid_argument);
}

TEST(Renderer, RefusesTasksWithoutAModelAndBadSizes) {
  try {
    Renderer r("Pendulum", 64, 48);
    FAIL() << "no exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("Pendulum"), std::string::npos) << e.what();
  }
  if (RenderingAvailable()) {
    EXPECT_THROW(Renderer("Hopper", 8, 48), std::invalid_argument);
  }
}

TEST(WritePng, WritesSignatureAndSize) {
  if (!RenderingAvailable()) GTEST_SKIP() << "built without libpng";
  const auto path = std::filesystem::temp_directory_path() / "fixar_render_test.png";
  WritePng(path.string(), Solid(300, 2, 7));
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(bytes.substr(16, 8), std::string("\0\0\x01\x2c\0\0\0\x02", 8));  // 300 x 2
  EXPECT_THROW(WritePng("/nonexistent-dir/x.png", Solid(2, 2, 0)), std::runtime_error);
}

}  // namespace
}  // namespace fixar::envs
