// Pictures of a MuJoCo task: states (Env::state(), qpos ++ qvel) rendered off screen with
// MuJoCo's own renderer in a software OpenGL context (OSMesa), written as PNG. For looking
// at a trained policy: `fixar eval RUN_DIR --frames DIR` (docs/envs.md).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fixar::envs {

struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // rows top to bottom, 3 bytes a pixel
};

// Whether this build can render (OSMesa and libpng were found at build time).
bool RenderingAvailable();

class Renderer {
 public:
  // A renderer for `task`'s model, `width` x `height` pixels, the camera following the
  // body (from the side; Swimmer, which moves in the floor's plane, from above). Throws
  // std::invalid_argument for a task without a MuJoCo model or a size outside 16..4096,
  // std::runtime_error when the build cannot render or the OpenGL context fails.
  Renderer(const std::string& task, int width, int height);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // The picture of one state (qpos ++ qvel; std::invalid_argument for a wrong size).
  Image Render(std::span<const double> state);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Frames side by side (same height), separated by `gap` white pixels.
Image Strip(const std::vector<Image>& frames, int gap = 4);

// Writes `image` as an 8-bit RGB PNG; throws std::runtime_error naming the path on failure.
void WritePng(const std::string& path, const Image& image);

}  // namespace fixar::envs
