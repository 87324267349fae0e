// `fixar quant`: train (or load) a CNN on Fashion-MNIST, quantize it with per-layer
// (weight, activation) bits, fine-tune with the straight-through estimator, and price
// the result on the ReRAM crossbar cost model (src/cnn, src/accel/reram, docs/cnn.md).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "accel/reram/config.h"
#include "accel/reram/cost.h"
#include "cli/checks.h"
#include "cli/command.h"
#include "cnn/onnx_import.h"
#include "cnn/quantize.h"
#include "cnn/train.h"
#include "data/fashion_mnist.h"
#include "kernels/parallel.h"
#include "util/progress_line.h"

namespace fixar::cli {
namespace {

struct QuantOptions {
  std::string model_file = "configs/models/vgg_small.toml";
  std::optional<int> train_epochs;
  std::string load_file, save_file;
  std::string bits_file;
  std::vector<int> uniform_bits;
  int finetune_steps = 300;
  int finetune_batch = 64;
  double finetune_lr = 5e-4;
  std::uint64_t seed = 1;
  std::string scaling = "per-channel";
  std::string reram_config;
  std::string json_file;
  std::string data_dir = data::kDefaultFashionMnistDir;
  int threads = 0;
};

// The live line of a training or fine-tune: on a terminal only, at most 4 per second, the
// last batch always; erased when done (the epoch's row or the results come in its place).
class TrainingLine {
 public:
  explicit TrainingLine(std::string what)
      : what_(std::move(what)), line_(true, {.terminal_s = 0.25, .plain_s = 0, .keep = false}) {}
  void Update(const cnn::TrainProgress& p) {
    const bool last = p.epoch == p.epochs && p.batch == p.batches;
    line_.Update(
        [&](int) {
          return fmt::format("{}: epoch {}/{}, batch {}/{}, loss {:.4f} nats, elapsed {:.0f} s, ETA {:.0f} s", what_,
                             p.epoch, p.epochs, p.batch, p.batches, p.loss, p.elapsed_s, p.eta_s);
        },
        last);
  }
  void Done() { line_.Finish(); }

 private:
  std::string what_;
  util::ProgressLine line_;
};

cnn::BitAssignment ResolveBits(const QuantOptions& o, std::size_t layers) {
  if (!o.bits_file.empty() && !o.uniform_bits.empty())
    throw std::invalid_argument("--bits and --uniform-bits are exclusive; give one");
  if (!o.bits_file.empty()) return cnn::LoadBitAssignment(o.bits_file, layers);
  std::vector<int> wa = o.uniform_bits.empty() ? std::vector<int>{8, 8} : o.uniform_bits;
  if (wa.size() != 2)
    throw std::invalid_argument(fmt::format("--uniform-bits needs two values W,A (e.g. 4,4); got {} value(s)", wa.size()));
  cnn::CheckBits(wa[0], "--uniform-bits weight bits");
  cnn::CheckBits(wa[1], "--uniform-bits activation bits");
  return cnn::BitAssignment::Uniform(layers, wa[0], wa[1]);
}

nlohmann::json LayerCostJson(const reram::LayerCost& l) {
  return {{"name", l.shape.name},
          {"rows", l.shape.rows()},
          {"cols", l.shape.cols()},
          {"output_positions", l.shape.output_positions()},
          {"weight_bits", l.bits.weight_bits},
          {"activation_bits", l.bits.activation_bits},
          {"crossbars", l.crossbars},
          {"area_mm2", l.area_mm2()},
          {"energy_pj", l.energy_pj()},
          {"latency_ns", l.latency_ns}};
}

// The fine-tune settings from the options, after checking every option (before minutes
// of training).
cnn::FinetuneOptions CheckQuantOptions(const QuantOptions& o) {
  CheckOutputFile("--json", o.json_file);  // before minutes of training
  CheckOutputFile("--save", o.save_file);
  if (o.threads < 0 || o.threads > 256)
    throw std::invalid_argument(fmt::format("--threads {} is invalid; valid: 1 .. 256 (0 = all cores)", o.threads));
  if (o.threads > 0) kern::SetNumThreads(o.threads);
  if (o.train_epochs && !o.load_file.empty())
    throw std::invalid_argument("--train-epochs and --load are exclusive: train a model or load one");
  if (o.train_epochs && (*o.train_epochs < 1 || *o.train_epochs > 1000))
    throw std::invalid_argument(fmt::format("--train-epochs {} is invalid; valid: 1 .. 1000", *o.train_epochs));
  if (o.finetune_steps < 0 || o.finetune_steps > 10000000)
    throw std::invalid_argument(fmt::format("--finetune-steps {} is invalid; valid: 0 .. 10000000", o.finetune_steps));
  if (o.finetune_batch < 1 || o.finetune_batch > 65536)
    throw std::invalid_argument(fmt::format("--finetune-batch {} is invalid; valid: 1 .. 65536", o.finetune_batch));
  if (!(o.finetune_lr > 0 && o.finetune_lr <= 1))
    throw std::invalid_argument(fmt::format("--finetune-lr {} is invalid; valid: (0, 1]", o.finetune_lr));
  cnn::FinetuneOptions ft;
  ft.steps = o.finetune_steps, ft.batch = o.finetune_batch, ft.lr = o.finetune_lr, ft.seed = o.seed;
  if (o.scaling == "per-channel") ft.quant.weight_scaling = cnn::WeightScaling::kPerChannel;
  else if (o.scaling == "per-tensor") ft.quant.weight_scaling = cnn::WeightScaling::kPerTensor;
  else throw std::invalid_argument(fmt::format("--weight-scaling '{}' is invalid; valid: per-channel, per-tensor", o.scaling));
  return ft;
}

// Trains the float model as its config says (--train-epochs overrides the epochs), printing
// a row per epoch; returns the epochs' rows for the JSON report.
nlohmann::json TrainFloatModel(cnn::Model& model, const data::FashionMnist& fm, const QuantOptions& o) {
  nlohmann::json epochs;
  cnn::TrainOptions to = model.config().train;
  if (o.train_epochs) to.epochs = *o.train_epochs;
  std::cout << fmt::format("\ntraining float32: {} epochs, {} lr {} ({}), batch {}\n", to.epochs,
                           cnn::to_string(to.optimizer), to.lr, cnn::to_string(to.schedule), to.batch);
  std::cout << fmt::format("{:>5} {:>10} {:>12} {:>10} {:>10}\n", "epoch", "time (s)", "loss (nats)", "train acc",
                           "test acc");
  TrainingLine progress("training");
  cnn::TrainCallbacks cb;
  cb.on_batch = [&](const cnn::TrainProgress& p) { progress.Update(p); };
  cb.on_epoch = [&](const cnn::EpochStats& s) {
    progress.Done();
    std::cout << fmt::format("{:>5} {:>10.1f} {:>12.4f} {:>9.2f}% {:>9.2f}%\n", s.epoch, s.seconds, s.train_loss,
                             100 * s.train_accuracy, 100 * s.test_accuracy)
              << std::flush;
    epochs.push_back({{"epoch", s.epoch},
                      {"seconds", s.seconds},
                      {"train_loss", s.train_loss},
                      {"test_accuracy", s.test_accuracy}});
  };
  cnn::Train(model, fm.train, &fm.test, to, cb);
  return epochs;
}

// The network's cost on the ReRAM model, layer by layer, and its ratio to uniform 8/8.
void PrintReramCost(const reram::CostModel& cost, const reram::NetworkCost& net, const reram::CostRatio& ratio) {
  std::cout << fmt::format("\nReRAM cost ({}; X = {}, {} bits/cell); activation bits = bits of the layer's input\n",
                           cost.config().source, cost.config().crossbar_size, cost.config().cell_bits);
  std::cout << fmt::format("  {:<6} {:>6} {:>5} {:>6} {:>5} {:>9} {:>11} {:>12} {:>12}\n", "layer", "rows", "cols",
                           "pos.", "w/a", "crossbars", "area (mm2)", "energy (nJ)", "latency (us)");
  for (const auto& l : net.layers)
    std::cout << fmt::format("  {:<6} {:>6} {:>5} {:>6} {:>5} {:>9} {:>11.4f} {:>12.3f} {:>12.3f}\n", l.shape.name,
                             l.shape.rows(), l.shape.cols(), l.shape.output_positions(),
                             fmt::format("{}/{}", l.bits.weight_bits, l.bits.activation_bits), l.crossbars,
                             l.area_mm2(), l.energy_pj() / 1e3, l.latency_ns / 1e3);
  std::cout << fmt::format("  {:<6} {:>32} {:>11.4f} {:>12.3f} {:>12.3f}   (area incl. {} eDRAM banks)\n", "total",
                           net.crossbars, net.area_mm2(), net.energy_pj() / 1e3, net.latency_ns / 1e3,
                           net.edram_banks);
  std::cout << fmt::format("  vs uniform 8/8: crossbars x{:.3f}, area x{:.3f}, energy x{:.3f}, latency x{:.3f}\n",
                           ratio.crossbars, ratio.area, ratio.energy, ratio.latency);
  std::cout << "  rows = c_in*k*k (conv) or inputs (fc); cols = outputs; pos. = output positions per image; "
               "energy and latency per inference (one image), layer by layer.\n";
}

// The --json report: bits, fine-tune, accuracies, calibrated ranges and the ReRAM cost.
nlohmann::json QuantReport(const cnn::Model& model, const cnn::BitAssignment& bits, const cnn::FinetuneOptions& ft,
                           const cnn::QuantizeResult& r, const reram::CostModel& cost, const reram::NetworkCost& net,
                           const reram::CostRatio& ratio, nlohmann::json js) {
  js["model"] = model.config().name;
  js["weight_bits"] = bits.weight_bits;
  js["activation_bits"] = bits.activation_bits;
  js["weight_scaling"] = cnn::to_string(ft.quant.weight_scaling);
  js["finetune"] = {{"steps", ft.steps}, {"batch", ft.batch}, {"lr", ft.lr}, {"seed", ft.seed},
                    {"seconds", r.finetune_seconds}};
  js["accuracy"] = {{"float", r.accuracy_float},
                    {"quantized", r.accuracy_quantized},
                    {"finetuned", r.accuracy_finetuned}};
  for (std::size_t k = 0; k < r.input_ranges.size(); ++k)
    js["input_ranges"].push_back({r.input_ranges[k].lo, r.input_ranges[k].hi});
  js["reram"] = {{"config", cost.config().source},
                 {"crossbars", net.crossbars},
                 {"area_mm2", net.area_mm2()},
                 {"energy_pj", net.energy_pj()},
                 {"latency_ns", net.latency_ns},
                 {"ratio_vs_8_8",
                  {{"crossbars", ratio.crossbars},
                   {"area", ratio.area},
                   {"energy", ratio.energy},
                   {"latency", ratio.latency}}}};
  for (const auto& l : net.layers) js["reram"]["layers"].push_back(LayerCostJson(l));
  return js;
}

int RunQuant(const QuantOptions& o) {
  const cnn::FinetuneOptions ft = CheckQuantOptions(o);
  const reram::CostModel cost(o.reram_config.empty() ? reram::ReramConfig::Isaac()
                                                     : reram::load_reram_config(o.reram_config));
  // Load the model first: a bad --bits file should fail before minutes of training.
  std::optional<cnn::Model> model;
  if (!o.load_file.empty()) {
    model.emplace(cnn::LoadModelFile(o.load_file));  // a fixar checkpoint (--save) or an .onnx file
    std::cout << fmt::format("loaded {}\n", o.load_file);
  } else {
    model.emplace(cnn::LoadModelConfig(o.model_file));
  }
  const std::size_t layers = model->num_weight_layers();
  const cnn::BitAssignment bits = ResolveBits(o, layers);
  std::cout << model->Summary();

  const auto t_load = std::chrono::steady_clock::now();
  const data::FashionMnist fm = data::load_fashion_mnist(o.data_dir);
  std::cout << fmt::format("Fashion-MNIST: {} train, {} test images ({:.1f} s to load), {} threads\n",
                           fm.train.size(), fm.test.size(),
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count(),
                           kern::NumThreads());

  nlohmann::json js;
  if (o.load_file.empty()) {
    nlohmann::json epochs = TrainFloatModel(*model, fm, o);
    if (!epochs.is_null()) js["training"] = std::move(epochs);  // no epoch, no key
  }
  if (!o.save_file.empty()) {
    model->Save(o.save_file);
    std::cout << fmt::format("saved the float model to {}\n", o.save_file);
  }

  // Cost on the ReRAM model.
  const auto shapes = cnn::DescribeWeightLayers(*model);
  const auto layer_bits = bits.ToLayerBits();
  const reram::NetworkCost net = cost.network(shapes, layer_bits);
  const reram::CostRatio ratio = cost.ratio(shapes, layer_bits);
  PrintReramCost(cost, net, ratio);

  // Quantize and fine-tune.
  std::cout << fmt::format("\nquantizing: weights symmetric {}, MSE-clipped; activations calibrated on {} training "
                           "images; fine-tune {} steps x {} images, Adam lr {} (cosine)\n",
                           cnn::to_string(ft.quant.weight_scaling), ft.quant.calibration_samples, ft.steps, ft.batch,
                           ft.lr);
  TrainingLine progress("fine-tuning");
  cnn::TrainCallbacks cb;
  cb.on_batch = [&](const cnn::TrainProgress& p) { progress.Update(p); };
  const cnn::QuantizeResult r = cnn::QuantizeAndFinetune(*model, bits, fm.train, fm.test, ft, cb);
  progress.Done();
  std::cout << fmt::format("test accuracy (10000 images): float {:.2f}%, quantized {:.2f}% (before fine-tune), "
                           "{:.2f}% after {} fine-tune steps ({:.1f} s)\n",
                           100 * r.accuracy_float, 100 * r.accuracy_quantized, 100 * r.accuracy_finetuned, ft.steps,
                           r.finetune_seconds);

  if (!o.json_file.empty()) {
    js = QuantReport(*model, bits, ft, r, cost, net, ratio, std::move(js));
    WriteOutputFile("--json", o.json_file, js.dump(2) + "\n");
    std::cout << "wrote " << o.json_file << "\n";
  }
  return 0;
}

const CommandRegistrar kRegistrar{
    "quant", "Train or load a CNN, quantize it per layer, fine-tune, and price it on the ReRAM cost model",
    [](CLI::App& sub) -> std::function<int()> {
      auto o = std::make_shared<QuantOptions>();
      sub.add_option("--model", o->model_file, "Model config TOML (configs/models/*.toml)");
      sub.add_option("--train-epochs", o->train_epochs, "Train this many epochs first (default: the config's)");
      sub.add_option("--load", o->load_file,
                     "Load a trained model instead of training: a checkpoint from --save, or an .onnx file "
                     "(e.g. exported from PyTorch; docs/cnn.md lists the operators)");
      sub.add_option("--save", o->save_file, "Save the trained float model here");
      sub.add_option("--bits", o->bits_file, "Per-layer bits: TOML or JSON with weight_bits = [...], activation_bits = [...]");
      sub.add_option("--uniform-bits", o->uniform_bits, "Same bits for every layer: W,A (default 8,8)")->delimiter(',');
      sub.add_option("--finetune-steps", o->finetune_steps, "Fine-tune steps after quantizing (0 = none; default 300)");
      sub.add_option("--finetune-batch", o->finetune_batch, "Fine-tune batch size (default 64)");
      sub.add_option("--finetune-lr", o->finetune_lr, "Fine-tune Adam learning rate (default 5e-4, cosine-decayed)");
      sub.add_option("--weight-scaling", o->scaling, "per-channel (default) or per-tensor weight scales");
      sub.add_option("--seed", o->seed, "Seed of the fine-tune data order (default 1)");
      sub.add_option("--reram-config", o->reram_config, "ReRAM cost model TOML (default: built-in ISAAC figures)");
      sub.add_option("--json", o->json_file, "Write the report as JSON");
      sub.add_option("--data", o->data_dir, "Fashion-MNIST directory (default /usr/share/datasets/fashion-mnist)");
      sub.add_option("--threads", o->threads, "Threads (default: FIXAR_THREADS or all cores)");
      return [o] { return RunQuant(*o); };
    }};

}  // namespace
}  // namespace fixar::cli
