// Time of one EvaluateQuantized call (what the AutoQ search pays per episode) and the
// accuracy it returns, for uniform bit widths on a trained model.
//
//   bench_cnn_quant --load vgg.bin [--steps 30] [--batch 64] [--train-subset 2000] [--val 2000]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cnn/quantize.h"
#include "data/fashion_mnist.h"
#include "kernels/parallel.h"

namespace {
double CpuSeconds() {  // user + system seconds of all threads (the share of the cores we got)
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}
}  // namespace

int main(int argc, char** argv) {
  using namespace fixar;
  CLI::App app{"Time and accuracy of cnn::EvaluateQuantized"};
  std::string load;
  int steps = 30, batch = 64, threads = 0;
  std::size_t subset = 2000, val_size = 2000;
  app.add_option("--load", load, "Trained model (fixar quant --save / bench_cnn_train --save)")->required();
  app.add_option("--steps", steps, "Fine-tune steps per evaluation");
  app.add_option("--batch", batch, "Fine-tune batch");
  app.add_option("--train-subset", subset, "Fine-tune subset size (images)");
  app.add_option("--val", val_size, "Validation images (held out of the 60000 training images)");
  app.add_option("--threads", threads, "Threads");
  CLI11_PARSE(app, argc, argv);
  try {
    if (threads > 0) kern::SetNumThreads(threads);
    const cnn::Model model = cnn::Model::Load(load);
    const auto fm = data::load_fashion_mnist();
    // Search-time validation comes from the training images (the test set stays unseen).
    // For an unbiased search the model must be trained without them; a model trained on
    // all 60000 images (bench_cnn_train --save) has seen them, so accuracies read high.
    const auto split = data::split(fm.train, fm.train.size() - val_size, val_size, 99);
    cnn::FinetuneOptions ft;
    ft.steps = steps, ft.batch = batch, ft.lr = 5e-4, ft.seed = 1, ft.train_subset = subset;
    fmt::print("model {}: {} weight layers; fine-tune {} steps x {} images from a {}-image subset; validation {} "
               "images; {} threads\n",
               model.config().name, model.num_weight_layers(), steps, batch, subset, val_size, kern::NumThreads());
    fmt::print("{:>8} {:>12} {:>10} {:>9}\n", "w/a", "accuracy", "time (s)", "CPU (s)");
    for (auto [w, a] : {std::pair{32, 32}, {8, 8}, {6, 6}, {4, 4}, {3, 4}, {2, 3}}) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = CpuSeconds();
      const double acc = cnn::EvaluateQuantized(
          model, cnn::BitAssignment::Uniform(model.num_weight_layers(), w, a), split.train, split.validation, ft);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fmt::print("{:>8} {:>11.2f}% {:>10.2f} {:>9.2f}\n", fmt::format("{}/{}", w, a), 100 * acc, s, CpuSeconds() - c0);
      std::fflush(stdout);
    }
    fmt::print("time: wall clock of one EvaluateQuantized call (fold + calibrate 256 images + fine-tune + evaluate); CPU = user + system seconds of all threads "
               "(on an idle machine wall ~ CPU / threads)\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cnn_quant: %s\n", e.what());
    return 1;
  }
  return 0;
}
