#include "cnn/config.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "config/section.h"

namespace fixar::cnn {
namespace {

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw std::invalid_argument(fmt::format("{}: {}", where, what));
}

constexpr std::string_view kLayerTypeNames[] = {"conv",    "linear",  "batchnorm", "relu",
                                               "maxpool", "avgpool", "flatten",   "add"};
constexpr LayerType kLayerTypes[] = {LayerType::kConv,    LayerType::kLinear,  LayerType::kBatchNorm, LayerType::kRelu,
                                     LayerType::kMaxPool, LayerType::kAvgPool, LayerType::kFlatten,   LayerType::kAdd};

// A key a layer of this type cannot do without.
void Require(config::Section& t, const char* key, std::string_view why) {
  if (!t.Take(key)) {
    const std::string k = t.Key(key);
    config::Fail({t.source(), k}, nullptr, fmt::format("missing; {}", why));
  }
}

// [[layer]] number i (0-based, named layer[i] in messages).
LayerSpec BindLayer(const toml::node& node, const std::string& source, std::size_t i) {
  const std::string name = fmt::format("layer[{}]", i);
  const toml::table* table = node.as_table();
  if (!table) config::Fail({source, name}, &node, fmt::format("expected a table [[layer]], got {}", config::KindOf(node)));
  config::Section t(table, source, name);
  LayerSpec l;
  const toml::node* type = t.Take("type");
  const std::string type_key = t.Key("type");
  if (!type) config::Fail({source, type_key}, nullptr, fmt::format("missing; valid: {}", fmt::join(kLayerTypeNames, ", ")));
  l.type = kLayerTypes[config::ReadChoice(*type, {source, type_key}, kLayerTypeNames)];
  switch (l.type) {
    case LayerType::kConv:
      Require(t, "out", "a conv layer needs 'out' and 'kernel'");
      Require(t, "kernel", "a conv layer needs 'out' and 'kernel'");
      t.Integer("out", l.out, {1, 1 << 16});
      t.Integer("kernel", l.kernel, {1, 64});
      l.stride = 1;
      t.Integer("stride", l.stride, {1, 64});
      t.Integer("padding", l.padding, {0, 64});
      t.Bool("bias", l.bias);
      break;
    case LayerType::kLinear:
      Require(t, "out", "a linear layer needs 'out'");
      t.Integer("out", l.out, {1, 1 << 20});
      t.Bool("bias", l.bias);
      break;
    case LayerType::kMaxPool:
    case LayerType::kAvgPool:
      l.kernel = 2;
      t.Integer("kernel", l.kernel, {1, 64});
      l.stride = l.kernel;
      t.Integer("stride", l.stride, {1, 64});
      break;
    case LayerType::kAdd:
      Require(t, "from", "an add layer needs 'from' (the earlier layer whose input it adds)");
      t.Integer("from", l.from, {1, static_cast<std::int64_t>(i)});
      l.from -= 1;
      break;
    default:
      break;
  }
  t.RejectUnknown();
  return l;
}

void BindModel(const toml::table& root, const std::string& source, ModelConfig& c) {
  const toml::table* model = root["model"].as_table();
  if (!model) Fail(source, "missing [model] table (name, input, classes)");
  config::Section m(model, source, "model");
  m.String("name", c.name);
  if (const toml::node* in = m.Take("input")) {
    const std::string key = m.Key("input");
    const config::At at{source, key};
    const auto v = config::ReadIntegers(*in, at, {.lo = 1, .hi = 4096, .whole_floats = true});
    if (v.size() != 3) config::Fail(at, in, "expected an array [channels, height, width] of integers in [1, 4096]");
    c.input = {static_cast<int>(v[0]), static_cast<int>(v[1]), static_cast<int>(v[2])};
  }
  m.Integer("classes", c.classes, {2, 100000});
  m.RejectUnknown();
}

void BindTrain(const toml::node& node, const std::string& source, TrainOptions& o) {
  const toml::table* table = node.as_table();
  if (!table) config::Fail({source, "train"}, &node, fmt::format("expected a table [train], got {}", config::KindOf(node)));
  config::Section t(table, source, "train");
  t.Choice("optimizer", o.optimizer, {{"adam", OptimizerKind::kAdam}, {"sgd", OptimizerKind::kSgd}});
  t.Choice("schedule", o.schedule, {{"cosine", LrSchedule::kCosine}, {"constant", LrSchedule::kConstant}});
  t.Number("lr", o.lr, config::NumberRange::Closed(1e-12, 10));
  t.Integer("warmup_steps", o.warmup_steps, {0, 1 << 30});
  t.Number("momentum", o.momentum, config::NumberRange::Closed(0, 0.999999));
  t.Number("weight_decay", o.weight_decay, config::NumberRange::Closed(0, 0.999999));
  t.Integer("batch", o.batch, {1, 65536});
  t.Integer("epochs", o.epochs, {0, 100000});
  t.Integer("seed", o.seed, {0, INT64_MAX});
  t.RejectUnknown();
}

}  // namespace

const char* to_string(LayerType t) {
  switch (t) {
    case LayerType::kConv: return "conv";
    case LayerType::kLinear: return "linear";
    case LayerType::kBatchNorm: return "batchnorm";
    case LayerType::kRelu: return "relu";
    case LayerType::kMaxPool: return "maxpool";
    case LayerType::kAvgPool: return "avgpool";
    case LayerType::kFlatten: return "flatten";
    case LayerType::kAdd: return "add";
  }
  return "?";
}
const char* to_string(OptimizerKind o) { return o == OptimizerKind::kAdam ? "adam" : "sgd"; }
const char* to_string(LrSchedule s) { return s == LrSchedule::kCosine ? "cosine" : "constant"; }

void TrainOptions::Validate(const std::string& where) const {
  if (!(lr > 0 && lr <= 10)) Fail(where, fmt::format("learning rate {} is invalid; valid: (0, 10]", lr));
  if (!(momentum >= 0 && momentum < 1)) Fail(where, fmt::format("momentum {} is invalid; valid: [0, 1)", momentum));
  if (!(weight_decay >= 0 && weight_decay < 1))
    Fail(where, fmt::format("weight_decay {} is invalid; valid: [0, 1)", weight_decay));
  if (batch < 1 || batch > 65536) Fail(where, fmt::format("batch {} is invalid; valid: 1 .. 65536", batch));
  if (epochs < 0 || epochs > 100000) Fail(where, fmt::format("epochs {} is invalid; valid: 0 .. 100000", epochs));
  if (warmup_steps < 0) Fail(where, fmt::format("warmup_steps {} is invalid; valid: >= 0", warmup_steps));
}

void ModelConfig::Validate() const {
  const std::string where = fmt::format("model '{}' ({})", name, source);
  if (input.c < 1 || input.h < 1 || input.w < 1)
    Fail(where, fmt::format("input [{}, {}, {}] is invalid; every size must be >= 1", input.c, input.h, input.w));
  if (classes < 2) Fail(where, fmt::format("classes = {} is invalid; valid: >= 2", classes));
  if (layers.empty()) Fail(where, "has no [[layer]] entries");
  MapShape s = input;
  int last_weight_out = -1;
  std::vector<MapShape> inputs;  // inputs[i]: the shape flowing into layer i
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerSpec& l = layers[i];
    inputs.push_back(s);
    const std::string at = fmt::format("{}, layer {} ({})", where, i + 1, to_string(l.type));
    switch (l.type) {
      case LayerType::kConv: {
        if (l.out < 1) Fail(at, fmt::format("out = {} is invalid; valid: >= 1 channels", l.out));
        if (l.kernel < 1) Fail(at, fmt::format("kernel = {} is invalid; valid: >= 1", l.kernel));
        const int stride = l.stride ? l.stride : 1;
        const int oh = (s.h + 2 * l.padding - l.kernel) / stride + 1, ow = (s.w + 2 * l.padding - l.kernel) / stride + 1;
        if (s.h + 2 * l.padding < l.kernel || s.w + 2 * l.padding < l.kernel)
          Fail(at, fmt::format("kernel {} does not fit the {}x{} input with padding {}", l.kernel, s.h, s.w, l.padding));
        s = {l.out, oh, ow};
        last_weight_out = l.out;
        break;
      }
      case LayerType::kLinear:
        if (l.out < 1) Fail(at, fmt::format("out = {} is invalid; valid: >= 1 features", l.out));
        s = {l.out, 1, 1};
        last_weight_out = l.out;
        break;
      case LayerType::kMaxPool:
      case LayerType::kAvgPool:
        if (l.kernel < 1 || l.kernel > s.h || l.kernel > s.w)
          Fail(at, fmt::format("kernel = {} is invalid for a {}x{} input; valid: 1 .. {}", l.kernel, s.h, s.w,
                               std::min(s.h, s.w)));
        {
          const int stride = l.stride ? l.stride : l.kernel;
          s = {s.c, (s.h - l.kernel) / stride + 1, (s.w - l.kernel) / stride + 1};
        }
        break;
      case LayerType::kFlatten:
        s = {static_cast<int>(s.size()), 1, 1};
        break;
      case LayerType::kBatchNorm:
      case LayerType::kRelu:
        break;
      case LayerType::kAdd: {
        if (l.from < 0 || static_cast<std::size_t>(l.from) >= i)
          Fail(at, fmt::format("from = {} is invalid; valid: an earlier layer, 1 .. {}", l.from + 1, i));
        const MapShape f = inputs[static_cast<std::size_t>(l.from)];
        if (!(f == s))
          Fail(at, fmt::format("the input of layer {} is {}x{}x{}, this layer's is {}x{}x{}: an add needs equal shapes",
                               l.from + 1, f.c, f.h, f.w, s.c, s.h, s.w));
        break;
      }
    }
  }
  if (last_weight_out < 0) Fail(where, "has no conv or linear layer");
  if (last_weight_out != classes || s.size() != static_cast<std::size_t>(classes))
    Fail(where, fmt::format("the network ends with {} outputs but classes = {}; the last weight layer must have "
                            "out = {} and nothing may follow it but relu/batchnorm",
                            s.size(), classes, classes));
  train.Validate(where + " [train]");
}

ModelConfig ParseModelConfig(std::string_view toml_text, const std::string& source) {
  const toml::table root = config::ParseToml(toml_text, source);
  config::Section top(&root, source, "");
  const toml::node* layers = top.Take("layer");
  const toml::node* train = top.Take("train");
  top.Take("model");
  top.RejectUnknown();
  ModelConfig c;
  c.source = source;
  c.toml_text = std::string(toml_text);
  BindModel(root, source, c);
  if (!layers || !layers->is_array()) Fail(source, "missing [[layer]] entries");
  for (std::size_t i = 0; i < layers->as_array()->size(); ++i) c.layers.push_back(BindLayer((*layers->as_array())[i], source, i));
  if (train) BindTrain(*train, source, c.train);
  c.Validate();
  return c;
}

ModelConfig LoadModelConfig(const std::filesystem::path& path) {
  return ParseModelConfig(config::ReadTextFile(path.string(), "model config"), path.string());
}

std::vector<std::string> BuiltinModelNames() {
  std::vector<std::string> names;
  for (int i = 0; i < detail::kEmbeddedModelConfigCount; ++i)
    names.push_back(std::filesystem::path(detail::kEmbeddedModelConfigs[i].path).stem().string());
  return names;
}

ModelConfig BuiltinModelConfig(const std::string& name) {
  const std::string path = "configs/models/" + name + ".toml";
  if (const util::EmbeddedFile* f = util::FindEmbedded(
          {detail::kEmbeddedModelConfigs, static_cast<std::size_t>(detail::kEmbeddedModelConfigCount)}, path))
    return ParseModelConfig(f->text, path);
  throw std::invalid_argument(
      fmt::format("model '{}' is not built in; valid: {}", name, fmt::join(BuiltinModelNames(), ", ")));
}

}  // namespace fixar::cnn
