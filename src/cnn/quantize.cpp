#include "cnn/quantize.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "cnn/ops.h"
#include "config/value.h"
#include "config/section.h"

namespace fixar::cnn {
namespace {

// Values kept per layer for the MSE clip search (the extremes are always kept).
constexpr std::size_t kMaxCalibrationValues = 1 << 18;

data::Dataset SeededSubset(const data::Dataset& d, std::size_t n, std::uint64_t seed, const char* name) {
  auto perm = data::seeded_permutation(d.size(), seed);
  perm.resize(std::min(n, d.size()));
  return d.subset(perm, name);
}

std::vector<int> ReadIntArray(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) throw std::invalid_argument(fmt::format("{}: missing '{}' (an array of bits per layer)", where, key));
  const auto& a = j.at(key);
  if (!a.is_array()) throw std::invalid_argument(fmt::format("{}: '{}' must be an array of integers", where, key));
  std::vector<int> v;
  for (const auto& x : a) {
    if (!x.is_number_integer())
      throw std::invalid_argument(fmt::format("{}: '{}' holds {}, which is not an integer", where, key, x.dump()));
    // Range-checked before narrowing to int: 2^32 + 8 must not pass for 8 bits.
    const bool fits = x.is_number_unsigned() ? x.get<std::uint64_t>() <= 64
                                             : x.get<std::int64_t>() >= -64 && x.get<std::int64_t>() <= 64;
    if (!fits)
      throw std::invalid_argument(fmt::format("{}: '{}' holds {}, which is not a bit width (2..8, 16, 32)", where,
                                              key, x.dump()));
    v.push_back(x.get<int>());
  }
  return v;
}

}  // namespace

BitAssignment BitAssignment::Uniform(std::size_t layers, int weight_bits, int activation_bits) {
  return {std::vector<int>(layers, weight_bits), std::vector<int>(layers, activation_bits)};
}

void BitAssignment::Validate(std::size_t layers, const std::string& where) const {
  if (weight_bits.size() != layers || activation_bits.size() != layers)
    throw std::invalid_argument(fmt::format("{}: {} weight bits and {} activation bits given; the model has {} weight "
                                            "layers (conv + linear), one entry each is needed",
                                            where, weight_bits.size(), activation_bits.size(), layers));
  for (std::size_t k = 0; k < layers; ++k) {
    CheckBits(weight_bits[k], fmt::format("{}: weight bits of weight layer {}", where, k));
    CheckBits(activation_bits[k], fmt::format("{}: activation bits of weight layer {}", where, k));
  }
}

std::vector<layers::LayerBits> BitAssignment::ToLayerBits() const {
  std::vector<layers::LayerBits> out;
  for (std::size_t k = 0; k < size(); ++k) {
    if (weight_bits[k] > 16 || activation_bits[k] > 16)
      throw std::invalid_argument(fmt::format("weight layer {}: {}/{} bits (w/a) cannot be priced; the ReRAM cost "
                                              "model accepts 1..16 bits (32 = float has no crossbar mapping)",
                                              k, weight_bits[k], activation_bits[k]));
    out.push_back({weight_bits[k], activation_bits[k]});
  }
  return out;
}

BitAssignment LoadBitAssignment(const std::filesystem::path& path, std::size_t layers) {
  const std::string where = "bit assignment " + path.string();
  if (std::filesystem::is_directory(path))  // an ifstream opens it and reads nothing
    throw std::invalid_argument(fmt::format("{} is a directory, not a TOML or JSON file", where));
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(fmt::format("cannot read {} (missing or unreadable)", where));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string ext = path.extension().string();
  if (ext != ".json" && ext != ".toml")
    throw std::invalid_argument(fmt::format("{}: extension '{}' is not supported; valid: .toml, .json", where, ext));
  return ParseBitAssignment(ss.str(), ext == ".json", where, layers);
}

BitAssignment ParseBitAssignment(std::string_view text, bool json, const std::string& where, std::size_t layers) {
  nlohmann::json j;
  if (json) {
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers like 1e1111
      // e.what() without the library's "[json.exception.parse_error.101] " tag
      const std::string what = e.what();
      const auto tag = what.find("] ");
      throw std::invalid_argument(fmt::format("{}: JSON syntax error: {}", where,
                                              tag == std::string::npos ? what : what.substr(tag + 2)));
    }
  } else {
    const toml::table t = config::ParseToml(text, where);
    for (const char* key : {"weight_bits", "activation_bits"})
      if (const toml::node* n = t.get(key)) j[key] = config::ReadIntegers(*n, {where, key});
  }
  if (!j.is_object()) throw std::invalid_argument(where + ": must be an object {weight_bits, activation_bits}");
  BitAssignment b{ReadIntArray(j, "weight_bits", where), ReadIntArray(j, "activation_bits", where)};
  b.Validate(layers, where);
  return b;
}

std::vector<layers::LayerShape> DescribeWeightLayers(const Model& model) {
  std::vector<layers::LayerShape> out;
  for (const std::size_t i : model.weight_layer_indices()) {
    const Layer& l = model.layer(i);
    if (const auto* c = dynamic_cast<const Conv2d*>(&l)) {
      const ConvGeometry& g = c->geometry();
      out.push_back(layers::LayerShape::Conv(l.name, g.c_in, g.c_out, g.kernel, g.stride, g.h, g.w, g.out_h(),
                                             g.out_w()));
    } else {
      const auto& f = static_cast<const WeightLayer&>(l);
      out.push_back(layers::LayerShape::FullyConnected(l.name, f.in_features(), f.out_features()));
    }
  }
  return out;
}

Model PrepareQuantized(const Model& trained, const BitAssignment& bits, const data::Dataset& calibration,
                       const QuantOptions& options) {
  Model m = trained;
  m.FoldBatchNorm();
  const std::size_t layers = m.num_weight_layers();
  bits.Validate(layers, "PrepareQuantized");
  if (options.calibration_samples < 1)
    throw std::invalid_argument(
        fmt::format("calibration_samples = {} is invalid; valid: >= 1", options.calibration_samples));
  // Float activations of the calibration samples at every weight layer's input.
  const data::Dataset calib = SeededSubset(calibration, static_cast<std::size_t>(options.calibration_samples),
                                           options.calibration_seed, "calibration");
  const auto idx = m.weight_layer_indices();
  std::vector<std::vector<float>> values(layers);
  std::vector<float> lo(layers, 0.0f), hi(layers, 0.0f);
  data::BatchIterator it(calib, {.batch_size = 128, .shuffle = false});
  for (data::Batch b; it.next(b);) {
    m.Forward(ToTensor(b), Mode::kEval);
    for (std::size_t k = 0; k < layers; ++k) {
      const auto& a = m.activation(idx[k]).data;
      const std::size_t total = a.size() * calib.size() / std::max<std::size_t>(b.size(), 1);
      const std::size_t stride = std::max<std::size_t>(1, total / kMaxCalibrationValues);
      for (std::size_t i = 0; i < a.size(); ++i) {
        lo[k] = std::min(lo[k], a[i]), hi[k] = std::max(hi[k], a[i]);
        if (i % stride == 0) values[k].push_back(a[i]);
      }
    }
  }
  for (std::size_t k = 0; k < layers; ++k) {
    values[k].push_back(lo[k]), values[k].push_back(hi[k]);  // the strided sample keeps the extremes
    LayerQuant& q = m.weight_layer(k).quant();
    q.enabled = true;
    q.weight_bits = bits.weight_bits[k];
    q.activation_bits = bits.activation_bits[k];
    q.scaling = options.weight_scaling;
    q.weight_clip = options.weight_clip;
    q.input_range = CalibrateActivationRange(values[k], q.activation_bits, options.activation_clip);
  }
  return m;
}

void Finetune(Model& quantized, const data::Dataset& train, const FinetuneOptions& options,
              const TrainCallbacks& callbacks) {
  if (options.steps <= 0) return;
  if (options.batch < 1) throw std::invalid_argument(fmt::format("fine-tune batch {} is invalid; valid: >= 1", options.batch));
  if (!(options.lr > 0)) throw std::invalid_argument(fmt::format("fine-tune lr {} is invalid; valid: > 0", options.lr));
  data::Dataset subset;
  const data::Dataset* data = &train;
  if (options.train_subset && options.train_subset < train.size()) {
    subset = SeededSubset(train, options.train_subset, options.seed ^ 0x5eed, "fine-tune subset");
    data = &subset;
  }
  TrainOptions t;
  t.optimizer = OptimizerKind::kAdam;
  t.lr = options.lr;
  t.schedule = LrSchedule::kCosine;
  t.batch = options.batch;
  t.seed = options.seed;
  Optimizer opt(t);
  auto params = quantized.Params();
  data::BatchIterator it(*data, {.batch_size = static_cast<std::size_t>(options.batch),
                                 .shuffle = true,
                                 .seed = options.seed,
                                 .drop_last = data->size() >= static_cast<std::size_t>(options.batch)});
  const auto start = std::chrono::steady_clock::now();
  Tensor dlogits;
  std::uint64_t epoch = 0;
  double loss_sum = 0;
  data::Batch b;
  for (int step = 0; step < options.steps; ++step) {
    if (!it.next(b)) {
      it.start_epoch(++epoch);
      it.next(b);
    }
    const Tensor& logits = quantized.Forward(ToTensor(b), Mode::kTrain);
    dlogits.Resize(logits.n, logits.shape);
    loss_sum += SoftmaxCrossEntropy<float>(logits.n, logits.shape.c, logits.data.data(), b.labels.data(),
                                           dlogits.data.data());
    quantized.Backward(dlogits);
    opt.Step(params, LearningRate(t, step, options.steps));
    if (callbacks.on_batch) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      callbacks.on_batch({1, 1, static_cast<std::size_t>(step + 1), static_cast<std::size_t>(options.steps),
                          loss_sum / (step + 1), elapsed, elapsed / (step + 1) * (options.steps - step - 1)});
    }
  }
}

double EvaluateQuantized(const Model& trained, const BitAssignment& bits, const data::Dataset& train,
                         const data::Dataset& val, const FinetuneOptions& options) {
  Model m = PrepareQuantized(trained, bits, train, options.quant);
  Finetune(m, train, options);
  return Evaluate(m, val).accuracy;
}

QuantizeResult QuantizeAndFinetune(const Model& trained, const BitAssignment& bits, const data::Dataset& train,
                                   const data::Dataset& val, const FinetuneOptions& options,
                                   const TrainCallbacks& callbacks) {
  Model float_model = trained;
  const double acc_float = Evaluate(float_model, val).accuracy;
  Model m = PrepareQuantized(trained, bits, train, options.quant);
  QuantizeResult r{std::move(m), acc_float, 0, 0, {}, 0};
  r.accuracy_quantized = Evaluate(r.model, val).accuracy;
  for (std::size_t k = 0; k < r.model.num_weight_layers(); ++k)
    r.input_ranges.push_back(r.model.weight_layer(k).quant().input_range);
  const auto t0 = std::chrono::steady_clock::now();
  Finetune(r.model, train, options, callbacks);
  r.finetune_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.accuracy_finetuned = options.steps > 0 ? Evaluate(r.model, val).accuracy : r.accuracy_quantized;
  return r;
}

}  // namespace fixar::cnn
