// Float32 training time and accuracy of a CNN on Fashion-MNIST (issue item 2: the
// VGG-style net must reach >= 90 % test accuracy within 5 minutes on 2 cores).
// Prints one row per epoch: wall seconds of training (evaluation excluded, shown apart),
// training loss and test accuracy. --compare-direct times the im2col + GEMM convolution
// against the direct seven-loop one on every conv layer of the model.
//
//   bench_cnn_train --model configs/models/vgg_small.toml [--epochs N] [--train-subset N] [--save m.bin]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cnn/model.h"
#include "cnn/ops.h"
#include "cnn/train.h"
#include "data/fashion_mnist.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"

namespace {

using namespace fixar;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds (user + system, all threads) this process has used: with other jobs on the
// machine, CPU time / wall time shows the share of the cores the training actually got.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double LoadAverage() {
  double l = -1;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &l) != 1) l = -1;
    std::fclose(f);
  }
  return l;
}

void CompareDirect(const cnn::Model& model, int batch) {
  fmt::print("\nconvolution forward, batch {}: im2col + GEMM vs direct loops (ms per batch, best of 3)\n", batch);
  fmt::print("  {:<8} {:<22} {:>12} {:>12} {:>9}\n", "layer", "shape", "im2col (ms)", "direct (ms)", "speed-up");
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto* c = dynamic_cast<const cnn::Conv2d*>(&model.layer(i));
    if (!c) continue;
    const cnn::ConvGeometry g = c->geometry();
    std::vector<float> x(static_cast<std::size_t>(batch) * g.c_in * g.h * g.w, 0.5f);
    std::vector<float> y(static_cast<std::size_t>(batch) * g.c_out * g.positions());
    auto w = c->weights();
    auto best = [&](auto fn) {
      double b = 1e9;
      for (int r = 0; r < 3; ++r) {
        const double t0 = Now();
        fn();
        b = std::min(b, Now() - t0);
      }
      return b * 1e3;
    };
    const double t_gemm = best([&] { cnn::ConvForward<float>(g, batch, x.data(), w.data(), nullptr, y.data()); });
    const double t_direct = best([&] {
      // Direct loops, batch-parallel in the same chunks as the GEMM path.
      const std::size_t in = static_cast<std::size_t>(g.c_in) * g.h * g.w, out = static_cast<std::size_t>(g.c_out) * g.positions();
      kern::ParallelFor(batch, [&](int s) {
        cnn::ConvForwardDirect<float>(g, 1, x.data() + s * in, w.data(), nullptr, y.data() + s * out);
      });
    });
    fmt::print("  {:<8} {:<22} {:>12.2f} {:>12.2f} {:>8.1f}x\n", c->name,
               fmt::format("{}->{} k{} {}x{}", g.c_in, g.c_out, g.kernel, g.h, g.w), t_gemm, t_direct,
               t_direct / t_gemm);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Float32 CNN training on Fashion-MNIST: time and accuracy per epoch"};
  std::string model_file = "configs/models/vgg_small.toml", data_dir = data::kDefaultFashionMnistDir, save;
  int epochs = -1, threads = 0;
  std::size_t subset = 0, test_subset = 0;
  bool compare = false;
  app.add_option("--model", model_file, "Model config TOML");
  app.add_option("--epochs", epochs, "Epochs (default: the config's [train] epochs)");
  app.add_option("--threads", threads, "Threads (default: FIXAR_THREADS or all cores)");
  app.add_option("--train-subset", subset, "Train on the first N of a seeded permutation (0 = all 60000)");
  app.add_option("--test-subset", test_subset, "Evaluate on the first N test images (0 = all 10000)");
  app.add_option("--data", data_dir, "Fashion-MNIST directory");
  app.add_option("--save", save, "Save the trained model here");
  app.add_flag("--compare-direct", compare, "Also time im2col+GEMM vs direct convolution");
  CLI11_PARSE(app, argc, argv);
  try {
    if (threads > 0) kern::SetNumThreads(threads);
    auto config = cnn::LoadModelConfig(model_file);
    cnn::TrainOptions opt = config.train;
    if (epochs >= 0) opt.epochs = epochs;
    const double t_load = Now();
    auto fm = data::load_fashion_mnist(data_dir);
    if (subset) {
      auto perm = data::seeded_permutation(fm.train.size(), 7);
      perm.resize(std::min(subset, perm.size()));
      fm.train = fm.train.subset(perm, "train subset");
    }
    if (test_subset) {
      std::vector<std::size_t> first(std::min(test_subset, fm.test.size()));
      for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
      fm.test = fm.test.subset(first, "test subset");
    }
    cnn::Model model(config);
    fmt::print("{}", model.Summary());
    fmt::print("data: {} train / {} test images loaded in {:.1f} s; {} threads, kernel path {}, load average {:.2f} "
               "(1 min, {} hardware threads)\n",
               fm.train.size(), fm.test.size(), Now() - t_load, kern::NumThreads(), kern::to_string(kern::ActivePath()),
               LoadAverage(), std::thread::hardware_concurrency());
    fmt::print("optimizer {} lr {} ({}; warm-up {} steps), weight decay {}, batch {}, {} epochs, seed {}\n\n",
               cnn::to_string(opt.optimizer), opt.lr, cnn::to_string(opt.schedule), opt.warmup_steps,
               opt.weight_decay, opt.batch, opt.epochs, opt.seed);
    fmt::print("{:>5} {:>10} {:>12} {:>12} {:>13} {:>12} {:>12} {:>11} {:>9}\n", "epoch", "train (s)", "cumul. (s)",
               "CPU (s)", "train loss", "train acc", "test acc", "test loss", "eval (s)");
    double cumulative = 0, cpu_mark = CpuSeconds(), cpu_train = 0;
    cnn::TrainCallbacks cb;
    cb.on_epoch = [&](const cnn::EpochStats& s) {
      cumulative += s.seconds;
      cpu_train = CpuSeconds() - cpu_mark;  // training + this epoch's evaluation
      cpu_mark = CpuSeconds();
      fmt::print("{:>5} {:>10.1f} {:>12.1f} {:>12.1f} {:>13.4f} {:>11.2f}% {:>11.2f}% {:>11.4f} {:>9.1f}\n", s.epoch,
                 s.seconds, cumulative, cpu_train, s.train_loss, 100 * s.train_accuracy, 100 * s.test_accuracy, s.test_loss,
                 s.test_seconds);
      std::fflush(stdout);
    };
    const auto stats = cnn::Train(model, fm.train, &fm.test, opt, cb);
    fmt::print("\ntrain loss: mean softmax cross-entropy over the epoch's batches (nats); accuracies in % of "
               "images; times are wall clock except CPU (s) = user + system seconds of all threads for the epoch's "
               "training and evaluation (on an idle machine, wall ~ CPU / threads). load average at the end {:.2f}\n",
               LoadAverage());
    if (!save.empty()) {
      model.Save(save);
      fmt::print("saved {}\n", save);
    }
    if (compare) CompareDirect(model, 128);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cnn_train: %s\n", e.what());
    return 1;
  }
  return 0;
}
