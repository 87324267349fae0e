#include "cnn/config.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "util/toml_integer.h"

namespace fixar::cnn {
namespace {

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw std::invalid_argument(fmt::format("{}: {}", where, what));
}

void RejectUnknownKeys(const toml::table& t, const std::set<std::string>& known, const std::string& where) {
  for (const auto& [key, value] : t) {
    if (known.count(std::string(key.str()))) continue;
    std::string valid;
    for (const auto& k : known) valid += (valid.empty() ? "" : ", ") + k;
    Fail(where, fmt::format("unknown key '{}'; valid keys: {}", key.str(), valid));
  }
}

std::int64_t GetInt(const toml::table& t, const char* key, std::int64_t fallback, std::int64_t lo, std::int64_t hi,
                    const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) return fallback;
  const auto v = util::TomlInteger(*n);
  if (!v || !n->is_integer()) Fail(where, fmt::format("'{}' must be an integer", key));
  if (*v < lo || *v > hi) Fail(where, fmt::format("'{}' = {} is out of range; valid: {} .. {}", key, *v, lo, hi));
  return *v;
}

double GetDouble(const toml::table& t, const char* key, double fallback, double lo, double hi,
                 const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) return fallback;
  const auto v = n->value<double>();
  if (!v) Fail(where, fmt::format("'{}' must be a number", key));
  if (!(*v >= lo && *v <= hi)) Fail(where, fmt::format("'{}' = {} is out of range; valid: {} .. {}", key, *v, lo, hi));
  return *v;
}

std::string GetString(const toml::table& t, const char* key, std::string fallback, const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) return fallback;
  const auto v = n->value<std::string>();
  if (!v || !n->is_string()) Fail(where, fmt::format("'{}' must be a string", key));
  return *v;
}

bool GetBool(const toml::table& t, const char* key, bool fallback, const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) return fallback;
  if (!n->is_boolean()) Fail(where, fmt::format("'{}' must be true or false", key));
  return *n->value<bool>();
}

LayerType ParseLayerType(const std::string& s, const std::string& where) {
  for (LayerType t : {LayerType::kConv, LayerType::kLinear, LayerType::kBatchNorm, LayerType::kRelu,
                      LayerType::kMaxPool, LayerType::kAvgPool, LayerType::kFlatten, LayerType::kAdd})
    if (s == to_string(t)) return t;
  Fail(where, fmt::format("type '{}' is unknown; valid: conv, linear, batchnorm, relu, maxpool, avgpool, flatten, add", s));
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
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << e.description() << " (line " << e.source().begin.line << ")";
    Fail(source, "TOML syntax error: " + msg.str());
  }
  RejectUnknownKeys(root, {"model", "layer", "train"}, source);
  ModelConfig c;
  c.source = source;
  c.toml_text = std::string(toml_text);
  const toml::table* model = root["model"].as_table();
  if (!model) Fail(source, "missing [model] table (name, input, classes)");
  const std::string mw = source + " [model]";
  RejectUnknownKeys(*model, {"name", "input", "classes"}, mw);
  c.name = GetString(*model, "name", "model", mw);
  if (const toml::node* in = model->get("input")) {
    const toml::array* a = in->as_array();
    if (!a || a->size() != 3) Fail(mw, "'input' must be an array [channels, height, width]");
    int v[3];
    for (int i = 0; i < 3; ++i) {
      const auto x = util::TomlInteger((*a)[static_cast<std::size_t>(i)]);
      if (!x || *x < 1 || *x > 4096) Fail(mw, "'input' entries must be integers in 1 .. 4096");
      v[i] = static_cast<int>(*x);
    }
    c.input = {v[0], v[1], v[2]};
  }
  c.classes = static_cast<int>(GetInt(*model, "classes", 10, 2, 100000, mw));
  const toml::array* layers = root["layer"].as_array();
  if (!layers) Fail(source, "missing [[layer]] entries");
  for (std::size_t i = 0; i < layers->size(); ++i) {
    const std::string lw = fmt::format("{} [[layer]] #{}", source, i + 1);
    const toml::table* t = (*layers)[i].as_table();
    if (!t) Fail(lw, "must be a table");
    LayerSpec l;
    l.type = ParseLayerType(GetString(*t, "type", "", lw), lw);
    switch (l.type) {
      case LayerType::kConv:
        RejectUnknownKeys(*t, {"type", "out", "kernel", "stride", "padding", "bias"}, lw);
        l.out = static_cast<int>(GetInt(*t, "out", 0, 1, 1 << 16, lw));
        l.kernel = static_cast<int>(GetInt(*t, "kernel", 0, 1, 64, lw));
        l.stride = static_cast<int>(GetInt(*t, "stride", 1, 1, 64, lw));
        l.padding = static_cast<int>(GetInt(*t, "padding", 0, 0, 64, lw));
        l.bias = GetBool(*t, "bias", true, lw);
        if (!t->get("out") || !t->get("kernel")) Fail(lw, "a conv layer needs 'out' and 'kernel'");
        break;
      case LayerType::kLinear:
        RejectUnknownKeys(*t, {"type", "out", "bias"}, lw);
        l.out = static_cast<int>(GetInt(*t, "out", 0, 1, 1 << 20, lw));
        l.bias = GetBool(*t, "bias", true, lw);
        if (!t->get("out")) Fail(lw, "a linear layer needs 'out'");
        break;
      case LayerType::kMaxPool:
      case LayerType::kAvgPool:
        RejectUnknownKeys(*t, {"type", "kernel", "stride"}, lw);
        l.kernel = static_cast<int>(GetInt(*t, "kernel", 2, 1, 64, lw));
        l.stride = static_cast<int>(GetInt(*t, "stride", l.kernel, 1, 64, lw));
        break;
      case LayerType::kAdd:
        RejectUnknownKeys(*t, {"type", "from"}, lw);
        if (!t->get("from")) Fail(lw, "an add layer needs 'from' (the earlier layer whose input it adds)");
        l.from = static_cast<int>(GetInt(*t, "from", 0, 1, static_cast<std::int64_t>(i), lw)) - 1;
        break;
      default:
        RejectUnknownKeys(*t, {"type"}, lw);
    }
    c.layers.push_back(l);
  }
  if (const toml::node* tn = root.get("train")) {
    const toml::table* t = tn->as_table();
    const std::string tw = source + " [train]";
    if (!t) Fail(tw, "must be a table");
    RejectUnknownKeys(*t,
                      {"optimizer", "lr", "schedule", "warmup_steps", "momentum", "weight_decay", "batch", "epochs",
                       "seed"},
                      tw);
    TrainOptions& o = c.train;
    const std::string opt = GetString(*t, "optimizer", "adam", tw);
    if (opt == "adam") o.optimizer = OptimizerKind::kAdam;
    else if (opt == "sgd") o.optimizer = OptimizerKind::kSgd;
    else Fail(tw, fmt::format("optimizer '{}' is unknown; valid: adam, sgd", opt));
    const std::string sched = GetString(*t, "schedule", "cosine", tw);
    if (sched == "cosine") o.schedule = LrSchedule::kCosine;
    else if (sched == "constant") o.schedule = LrSchedule::kConstant;
    else Fail(tw, fmt::format("schedule '{}' is unknown; valid: cosine, constant", sched));
    o.lr = GetDouble(*t, "lr", o.lr, 1e-12, 10, tw);
    o.warmup_steps = static_cast<int>(GetInt(*t, "warmup_steps", o.warmup_steps, 0, 1 << 30, tw));
    o.momentum = GetDouble(*t, "momentum", o.momentum, 0, 0.999999, tw);
    o.weight_decay = GetDouble(*t, "weight_decay", o.weight_decay, 0, 0.999999, tw);
    o.batch = static_cast<int>(GetInt(*t, "batch", o.batch, 1, 65536, tw));
    o.epochs = static_cast<int>(GetInt(*t, "epochs", o.epochs, 0, 100000, tw));
    o.seed = static_cast<std::uint64_t>(GetInt(*t, "seed", 1, 0, INT64_MAX, tw));
  }
  c.Validate();
  return c;
}

ModelConfig LoadModelConfig(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path))  // an ifstream opens it and reads nothing
    throw std::invalid_argument(fmt::format("model config '{}' is a directory, not a TOML file", path.string()));
  std::ifstream in(path);
  if (!in)
    throw std::invalid_argument(
        fmt::format("cannot read model config '{}' (missing or unreadable; see configs/models/*.toml)", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseModelConfig(ss.str(), path.string());
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
