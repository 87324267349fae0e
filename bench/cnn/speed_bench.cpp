// Float32 CNN training and evaluation speed in images/s, the counterpart of
// bench/baselines/cnn_torch.py (bench/baselines/cnn_vs_torch.sh runs both side by side).
//
// One training step is what cnn::Train does per batch: Model::Forward (train mode),
// softmax cross-entropy, Model::Backward, Adam (the config's lr and weight decay).
// Evaluation is cnn::Evaluate (eval mode, batch 256). Images: the first N Fashion-MNIST
// training images when present, else seeded random ones (the speed does not depend on
// the values). --quant W,A times the fake-quantized fine-tune path instead (BN folded,
// ranges calibrated, as cnn::Finetune / EvaluateQuantized run it). --profile adds the
// CPU time of every layer's forward and backward pass (extra timed steps); --conv-layers
// times each conv layer on the implicit GEMM and on the earlier im2col lowering.
//
//   bench_cnn_speed --model configs/models/vgg_small.toml --threads 1 --images 6400 [--json]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <algorithm>
#include <vector>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cnn/model.h"
#include "cnn/ops.h"
#include "cnn/quantize.h"
#include "cnn/train.h"
#include "data/fashion_mnist.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"

namespace {

using namespace fixar;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds of all threads of this process: on a machine whose cores other jobs share,
// the per-layer profile reads CPU time, which time slicing does not inflate.
double CpuNow() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double LoadAverage() {
  double l = -1;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &l) != 1) l = -1;
    std::fclose(f);
  }
  return l;
}

// The first n training images (repeated if n > 60000), or seeded random images.
data::Dataset Images(const std::string& dir, std::size_t n, const cnn::ModelConfig& config) {
  if (std::ifstream(dir + "/train-images-idx3-ubyte.gz")) {
    const auto fm = data::load_fashion_mnist(dir);
    std::vector<std::size_t> idx(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = i % fm.train.size();
    return fm.train.subset(idx, "speed images");
  }
  std::vector<std::int32_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<std::int32_t>(i % config.classes);
  return data::Dataset("random images", {config.input.c, config.input.h, config.input.w},
                       cnn::NormalSamples(n * config.input.size(), 1.0, 7), std::move(labels), config.classes);
}

// A training step on batch `b` of the data (cnn::Train's body without the bookkeeping).
struct Trainer {
  cnn::Model& model;
  cnn::Optimizer opt;
  std::vector<cnn::ParamRef> params;
  cnn::Tensor dlogits;
  void Step(const data::Batch& b) {
    const cnn::Tensor& logits = model.Forward(cnn::ToTensor(b), cnn::Mode::kTrain);
    dlogits.Resize(logits.n, logits.shape);
    cnn::SoftmaxCrossEntropy<float>(logits.n, logits.shape.c, logits.data.data(), b.labels.data(),
                                    dlogits.data.data());
    model.Backward(dlogits);
    opt.Step(params, 1e-3);
  }
};

// Seconds per layer, forward and backward, over `batches` training steps.
void Profile(cnn::Model& model, const data::Dataset& images, int batch, int batches) {
  data::BatchIterator it(images, {.batch_size = static_cast<std::size_t>(batch), .shuffle = false});
  std::vector<cnn::Tensor> acts(model.size() + 1), grads(model.size() + 1);
  std::vector<double> fwd(model.size()), bwd(model.size());
  data::Batch b;
  for (int s = 0; s < batches; ++s) {
    if (!it.next(b)) it.start_epoch(1), it.next(b);
    acts[0] = cnn::ToTensor(b);
    for (std::size_t i = 0; i < model.size(); ++i) {
      const double t0 = CpuNow();
      model.layer(i).Forward(acts[i], acts[i + 1], cnn::Mode::kTrain);
      fwd[i] += CpuNow() - t0;
    }
    const cnn::Tensor& logits = acts.back();
    grads.back().Resize(logits.n, logits.shape);
    cnn::SoftmaxCrossEntropy<float>(logits.n, logits.shape.c, logits.data.data(), b.labels.data(),
                                    grads.back().data.data());
    for (std::size_t i = model.size(); i-- > 0;) {
      const double t0 = CpuNow();
      model.layer(i).Backward(acts[i], acts[i + 1], grads[i + 1], i == 0 ? nullptr : &grads[i]);
      bwd[i] += CpuNow() - t0;
    }
  }
  double total = 0;
  for (std::size_t i = 0; i < model.size(); ++i) total += fwd[i] + bwd[i];
  fmt::print("per layer, CPU ms per batch of {} (all threads; mean of {} steps; share of forward + backward):\n",
             batch, batches);
  for (std::size_t i = 0; i < model.size(); ++i)
    fmt::print("  {:<8} {:<24} fwd {:8.3f}  bwd {:8.3f}  {:5.1f} %\n", model.layer(i).name, model.layer(i).Describe(),
               1e3 * fwd[i] / batches, 1e3 * bwd[i] / batches, 100 * (fwd[i] + bwd[i]) / total);
  fmt::print("  total {:.1f} CPU ms per batch\n", 1e3 * total / batches);
}

// CPU ms per batch of every conv layer of the model: forward and backward (weight and
// input gradients) on the implicit GEMM (ConvForward / ConvBackward) and on the earlier
// im2col + GemmF32 lowering, best of `reps` (how the convolution path was chosen).
void ConvLayers(const cnn::Model& model, int batch, int reps) {
  fmt::print("conv layers, batch {}, CPU ms (best of {}):\n  {:<8} {:<20} {:>10} {:>10} {:>12} {:>12}\n", batch, reps,
             "layer", "shape", "fwd", "bwd", "im2col fwd", "im2col bwd");
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto* c = dynamic_cast<const cnn::Conv2d*>(&model.layer(i));
    if (!c) continue;
    const cnn::ConvGeometry g = c->geometry();
    const auto x = cnn::NormalSamples(static_cast<std::size_t>(batch) * g.c_in * g.h * g.w, 1.0, 1);
    const auto dy = cnn::NormalSamples(static_cast<std::size_t>(batch) * g.c_out * g.positions(), 1.0, 2);
    const auto w = c->weights();
    std::vector<float> y(dy.size()), dW(w.size()), dx(x.size());
    float* dxp = i == 0 ? nullptr : dx.data();  // the first layer needs no input gradient
    auto best = [&](auto fn) {
      double b = 1e9;
      for (int r = 0; r < reps; ++r) {
        const double t0 = CpuNow();
        fn();
        b = std::min(b, CpuNow() - t0);
      }
      return 1e3 * b;
    };
    const double f = best([&] { cnn::ConvForward<float>(g, batch, x.data(), w.data(), nullptr, y.data()); });
    const double bw = best(
        [&] { cnn::ConvBackward<float>(g, batch, x.data(), w.data(), dy.data(), dW.data(), nullptr, dxp); });
    const double fi = best([&] { cnn::ConvForwardIm2col<float>(g, batch, x.data(), w.data(), nullptr, y.data()); });
    const double bi = best(
        [&] { cnn::ConvBackwardIm2col<float>(g, batch, x.data(), w.data(), dy.data(), dW.data(), nullptr, dxp); });
    fmt::print("  {:<8} {:<20} {:>10.2f} {:>10.2f} {:>12.2f} {:>12.2f}\n", c->name,
               fmt::format("{}->{} k{} {}x{}", g.c_in, g.c_out, g.kernel, g.h, g.w), f, bw, fi, bi);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Float32 CNN training / evaluation speed (images/s)"};
  std::string model_file = "configs/models/vgg_small.toml", data_dir = data::kDefaultFashionMnistDir, quant;
  int threads = 0, batch = 0, warmup = 3, profile = 0, conv_layers = 0;
  std::size_t n_images = 6400;
  bool json = false;
  app.add_option("--model", model_file, "Model config TOML");
  app.add_option("--threads", threads, "Threads (default: FIXAR_THREADS or all cores)");
  app.add_option("--images", n_images, "Timed training images (whole batches) and evaluation images");
  app.add_option("--batch", batch, "Training batch (default: the config's)");
  app.add_option("--warmup", warmup, "Untimed training steps first");
  app.add_option("--data", data_dir, "Fashion-MNIST directory (random images when absent)");
  app.add_option("--quant", quant, "W,A: time the fake-quantized fine-tune path at these bits");
  app.add_option("--profile", profile, "Also time every layer over this many steps");
  app.add_option("--conv-layers", conv_layers, "Time every conv layer, implicit GEMM vs im2col, best of N; then exit");
  app.add_flag("--json", json, "One JSON line instead of text");
  CLI11_PARSE(app, argc, argv);
  try {
    if (threads > 0) kern::SetNumThreads(threads);
    const auto config = cnn::LoadModelConfig(model_file);
    if (batch <= 0) batch = config.train.batch;
    cnn::Model model(config);
    if (conv_layers > 0) {
      ConvLayers(model, batch, conv_layers);
      return 0;
    }
    const data::Dataset images = Images(data_dir, n_images, config);
    if (!quant.empty()) {
      int w = 0, a = 0;
      if (std::sscanf(quant.c_str(), "%d,%d", &w, &a) != 2)
        throw std::invalid_argument("--quant '" + quant + "': expected W,A (e.g. 4,4)");
      model = cnn::PrepareQuantized(model, cnn::BitAssignment::Uniform(model.num_weight_layers(), w, a), images, {});
    }
    cnn::TrainOptions opt = config.train;
    opt.optimizer = cnn::OptimizerKind::kAdam;
    Trainer trainer{model, cnn::Optimizer(opt), model.Params(), {}};
    data::BatchIterator it(images, {.batch_size = static_cast<std::size_t>(batch), .shuffle = false, .drop_last = true});
    data::Batch b;
    for (int s = 0; s < warmup; ++s) {
      if (!it.next(b)) it.start_epoch(1), it.next(b);
      trainer.Step(b);
    }
    it.start_epoch(2);
    const double load_before = LoadAverage();
    std::size_t trained = 0;
    const auto t0 = Clock::now();
    const double c0 = CpuNow();
    while (it.next(b)) trainer.Step(b), trained += b.size();
    const double t_train = Since(t0), c_train = CpuNow() - c0;
    const std::vector<std::size_t> first{0};
    cnn::Evaluate(model, images.subset(first, "one"));  // the first eval call allocates
    const auto t1 = Clock::now();
    const double c1 = CpuNow();
    const auto ev = cnn::Evaluate(model, images);
    const double t_eval = Since(t1), c_eval = CpuNow() - c1;
    const std::string path = kern::to_string(kern::ActivePath());
    if (json) {
      fmt::print("{{\"impl\": \"fixar\", \"model\": \"{}\", \"threads\": {}, \"kernel_path\": \"{}\", \"quant\": \"{}\", "
                 "\"batch\": {}, \"train_images\": {}, \"train_s\": {:.4f}, \"train_images_per_s\": {:.2f}, "
                 "\"train_cpu_s\": {:.4f}, \"eval_images\": {}, \"eval_s\": {:.4f}, \"eval_images_per_s\": {:.2f}, "
                 "\"eval_cpu_s\": {:.4f}, \"eval_accuracy\": {:.4f}, \"loadavg\": [{:.2f}, {:.2f}]}}\n",
                 config.name, kern::NumThreads(), path, quant, batch, trained, t_train, trained / t_train, c_train,
                 ev.samples, t_eval, ev.samples / t_eval, c_eval, ev.accuracy, load_before, LoadAverage());
    } else {
      fmt::print("{} ({} threads, path {}{}): train {} images in {:.3f} s = {:.1f} images/s; eval {} images in {:.3f} s "
                 "= {:.1f} images/s; load {:.2f}\n",
                 config.name, kern::NumThreads(), path, quant.empty() ? "" : ", quant " + quant, trained, t_train,
                 trained / t_train, ev.samples, t_eval, ev.samples / t_eval, LoadAverage());
    }
    if (profile > 0) Profile(model, images, batch, profile);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cnn_speed: %s\n", e.what());
    return 1;
  }
  return 0;
}
