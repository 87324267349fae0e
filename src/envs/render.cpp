#include "envs/render.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include <fmt/format.h>

#include "envs/mujoco_env.h"

#ifdef FIXAR_HAVE_RENDER
#include <GL/osmesa.h>
#include <mujoco/mujoco.h>
#include <png.h>
#endif

namespace fixar::envs {

bool RenderingAvailable() {
#ifdef FIXAR_HAVE_RENDER
  return true;
#else
  return false;
#endif
}

Image Strip(const std::vector<Image>& frames, int gap) {
  if (frames.empty()) throw std::invalid_argument("Strip: no frames");
  Image out;
  out.height = frames.front().height;
  for (const Image& f : frames) {
    if (f.height != out.height)
      throw std::invalid_argument(fmt::format("Strip: frame heights {} and {} differ", out.height, f.height));
    out.width += f.width;
  }
  out.width += gap * static_cast<int>(frames.size() - 1);
  out.rgb.assign(static_cast<std::size_t>(out.width) * out.height * 3, 255);
  int x0 = 0;
  for (const Image& f : frames) {
    for (int y = 0; y < f.height; ++y)
      std::copy_n(f.rgb.begin() + static_cast<std::ptrdiff_t>(y) * f.width * 3, f.width * 3,
                  out.rgb.begin() + (static_cast<std::ptrdiff_t>(y) * out.width + x0) * 3);
    x0 += f.width + gap;
  }
  return out;
}

#ifdef FIXAR_HAVE_RENDER

struct Renderer::Impl {
  OSMesaContext gl = nullptr;
  std::vector<unsigned char> framebuffer;  // OSMesa's window buffer (unused: MuJoCo draws off screen)
  mjModel* model = nullptr;                // a private copy: sizes and colours set for pictures
  mjData* data = nullptr;
  mjvScene scene;
  mjvCamera camera;
  mjvOption option;
  mjrContext context;
  int width = 0, height = 0;

  ~Impl() {
    if (context.offFBO) mjr_freeContext(&context);
    mjv_freeScene(&scene);
    if (data) mj_deleteData(data);
    if (model) mj_deleteModel(model);
    if (gl) OSMesaDestroyContext(gl);
  }
};

Renderer::Renderer(const std::string& task, int width, int height) : impl_(std::make_unique<Impl>()) {
  const std::string file = detail::model_file_of_task(task);
  if (file.empty())
    throw std::invalid_argument(fmt::format(
        "task '{}' has no MuJoCo model to render; frames exist for HalfCheetah, Hopper, InvertedPendulum, Swimmer, "
        "Walker2d",
        task));
  if (width < 16 || width > 4096 || height < 16 || height > 4096)
    throw std::invalid_argument(fmt::format("frame size {} x {} is invalid; valid: 16 .. 4096 pixels each", width, height));
  Impl& r = *impl_;
  r.width = width, r.height = height;
  mjv_defaultScene(&r.scene);
  mjr_defaultContext(&r.context);
  r.gl = OSMesaCreateContextExt(OSMESA_RGBA, 24, 8, 0, nullptr);
  r.framebuffer.resize(static_cast<std::size_t>(width) * height * 4);
  if (!r.gl || !OSMesaMakeCurrent(r.gl, r.framebuffer.data(), GL_UNSIGNED_BYTE, width, height))
    throw std::runtime_error("rendering: OSMesa could not create a software OpenGL context");
  const auto shared = detail::load_embedded_model(file);
  r.model = mj_copyModel(nullptr, shared.get());
  mjModel& m = *r.model;
  m.vis.global.offwidth = width;
  m.vis.global.offheight = height;
  for (int i = 0; i < 3; ++i) m.vis.headlight.ambient[i] = 0.35f, m.vis.headlight.diffuse[i] = 0.75f;
  for (int g = 0; g < m.ngeom; ++g) {  // the floor pale, the body orange: readable on paper
    const bool floor = m.geom_type[g] == mjGEOM_PLANE;
    const float rgba[4] = {floor ? 0.82f : 0.90f, floor ? 0.85f : 0.45f, floor ? 0.88f : 0.10f, 1.0f};
    std::copy_n(rgba, 4, m.geom_rgba + 4 * g);
    m.geom_matid[g] = -1;
    if (floor) m.geom_size[3 * g] = m.geom_size[3 * g + 1] = 0;  // drawn without end: runners leave any finite floor
  }
  r.data = mj_makeData(r.model);
  mjv_defaultCamera(&r.camera);
  mjv_defaultOption(&r.option);
  r.camera.type = mjCAMERA_FREE;  // aimed at the body's centre of mass in each Render
  r.camera.distance = task == "Swimmer" ? 2.5 : 3.5;
  r.camera.azimuth = 90;  // looking along +y: the x axis (forward) runs left to right
  r.camera.elevation = task == "Swimmer" ? -89 : -10;
  mjv_makeScene(r.model, &r.scene, 1000);
  mjr_makeContext(r.model, &r.context, mjFONTSCALE_100);
  mjr_setBuffer(mjFB_OFFSCREEN, &r.context);
  if (r.context.offWidth != width || r.context.offHeight != height)
    throw std::runtime_error(fmt::format("rendering: the off-screen buffer is {} x {}, not {} x {}",
                                         r.context.offWidth, r.context.offHeight, width, height));
}

Renderer::~Renderer() = default;

Image Renderer::Render(std::span<const double> state) {
  Impl& r = *impl_;
  const mjModel& m = *r.model;
  if (state.size() != static_cast<std::size_t>(m.nq + m.nv))
    throw std::invalid_argument(
        fmt::format("rendering: a state of {} values; this model's is qpos ({}) ++ qvel ({})", state.size(), m.nq, m.nv));
  std::copy_n(state.begin(), m.nq, r.data->qpos);
  std::copy_n(state.begin() + m.nq, m.nv, r.data->qvel);
  mj_forward(r.model, r.data);
  for (int i = 0; i < 3; ++i) r.camera.lookat[i] = r.data->subtree_com[3 + i];  // body 1's subtree: the robot
  OSMesaMakeCurrent(r.gl, r.framebuffer.data(), GL_UNSIGNED_BYTE, r.width, r.height);
  mjv_updateScene(r.model, r.data, &r.option, nullptr, &r.camera, mjCAT_ALL, &r.scene);
  const mjrRect viewport{0, 0, r.width, r.height};
  mjr_render(viewport, &r.scene, &r.context);
  Image bottom_up{r.width, r.height, std::vector<std::uint8_t>(static_cast<std::size_t>(r.width) * r.height * 3)};
  mjr_readPixels(bottom_up.rgb.data(), nullptr, viewport, &r.context);
  Image image = bottom_up;  // OpenGL's rows run bottom to top
  const std::size_t row = static_cast<std::size_t>(r.width) * 3;
  for (int y = 0; y < r.height; ++y)
    std::copy_n(bottom_up.rgb.begin() + static_cast<std::ptrdiff_t>((r.height - 1 - y) * row), row,
                image.rgb.begin() + static_cast<std::ptrdiff_t>(y * row));
  return image;
}

void WritePng(const std::string& path, const Image& image) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error(fmt::format("cannot write the picture '{}'", path));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    throw std::runtime_error(fmt::format("libpng failed to write '{}'", path));
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y)
    png_write_row(png, image.rgb.data() + static_cast<std::size_t>(y) * image.width * 3);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(f) != 0) throw std::runtime_error(fmt::format("cannot write the picture '{}'", path));
}

#else  // no OSMesa or libpng: say so

struct Renderer::Impl {};
Renderer::Renderer(const std::string& task, int, int) {
  throw std::runtime_error(fmt::format(
      "this build cannot render '{}': it was built without OSMesa or libpng (scripts/setup installs "
      "libosmesa6-dev libpng-dev; then rebuild)",
      task));
}
Renderer::~Renderer() = default;
Image Renderer::Render(std::span<const double>) { return {}; }
void WritePng(const std::string& path, const Image&) {
  throw std::runtime_error(fmt::format("cannot write '{}': this build has no libpng", path));
}

#endif

}  // namespace fixar::envs
