// Model building from configs, config errors, BN folding, checkpoints, training.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cnn/model.h"
#include "cnn/train.h"

namespace fixar::cnn {
namespace {

const char* kTinyNet = R"(
[model]
name = "tiny"
input = [1, 8, 8]
classes = 3
[[layer]]
type = "conv"
out = 4
kernel = 3
padding = 1
bias = false
[[layer]]
type = "batchnorm"
[[layer]]
type = "relu"
[[layer]]
type = "maxpool"
kernel = 2
[[layer]]
type = "conv"
out = 6
kernel = 3
stride = 2
[[layer]]
type = "batchnorm"
[[layer]]
type = "relu"
[[layer]]
type = "flatten"
[[layer]]
type = "linear"
out = 3
)";

Tensor RandomInput(int n, MapShape s, std::uint64_t seed) {
  Tensor x;
  x.Resize(n, s);
  x.data = NormalSamples(x.data.size(), 1.0, seed);
  return x;
}

std::string ErrorOf(const std::string& toml) {
  try {
    ParseModelConfig(toml, "test.toml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, BuildsShapesAndNames) {
  Model m(ParseModelConfig(kTinyNet, "tiny.toml"), 1);
  ASSERT_EQ(m.num_weight_layers(), 3u);
  EXPECT_EQ(m.weight_layer(0).name, "conv1");
  EXPECT_EQ(m.weight_layer(2).name, "fc1");
  EXPECT_EQ(m.layer(4).OutputShape(), (MapShape{6, 1, 1}));  // (4 − 3)/2 + 1
  const Tensor& y = m.Forward(RandomInput(5, {1, 8, 8}, 1), Mode::kTrain);
  EXPECT_EQ(y.n, 5);
  EXPECT_EQ(y.shape, (MapShape{3, 1, 1}));
  EXPECT_EQ(m.NumParams(), 4 * 9 + 8 + (6 * 36 + 6) + 12 + 6 * 3 + 3);  // conv2 keeps its bias
}

TEST(ModelConfig, ShippedConfigsParse) {
  for (const char* name : {"lenet5", "vgg_small"}) {
    const auto path = std::filesystem::path(FIXAR_SOURCE_DIR) / "configs/models" / (std::string(name) + ".toml");
    const ModelConfig c = LoadModelConfig(path);
    Model m(c, 1);
    EXPECT_GE(m.num_weight_layers(), std::string(name) == "vgg_small" ? 6u : 5u) << name;
  }
}

// The models built into the program are the source tree's files (a stale build fails).
TEST(ModelConfig, BuiltinModelsAreTheSourceTreesFiles) {
  const auto dir = std::filesystem::path(FIXAR_SOURCE_DIR) / "configs/models";
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".toml") files.push_back(e.path().stem().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(BuiltinModelNames(), files);
  for (const std::string& name : BuiltinModelNames()) {
    std::ifstream in(dir / (name + ".toml"));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(BuiltinModelConfig(name).toml_text, text) << name;
    EXPECT_EQ(BuiltinModelConfig(name).source, "configs/models/" + name + ".toml");
  }
  EXPECT_THROW(BuiltinModelConfig("resnet"), std::invalid_argument);
}

TEST(ModelConfig, ErrorsNameTheProblem) {
  EXPECT_NE(ErrorOf("[model]\nclasses = 3\n").find("[[layer]]"), std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"conv\"\nout = 10\nkernel = 3\nfoo = 1\n").find("layer[0].foo = 1: unknown key; valid keys in [layer[0]]: bias, kernel, out, padding, stride, type"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"deconv\"\n").find("layer[0].type = 'deconv': unknown value; valid: conv"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"conv\"\nout = 10\nkernel = 0\n").find("layer[0].kernel = 0: out of range; valid: an integer in [1, 64]"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\ninput=[1,4,4]\n[[layer]]\ntype = \"conv\"\nout = 10\nkernel = 7\n").find("does not fit"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\nclasses = 3\n[[layer]]\ntype = \"linear\"\nout = 4\n").find("classes = 3"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"linear\"\nout = 10\n[train]\noptimizer = \"lbfgs\"\n")
                .find("train.optimizer = 'lbfgs': unknown value; valid: adam, sgd"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"linear\"\nout = \"ten\"\n").find("layer[0].out = 'ten': expected an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model\n").find("not valid TOML"), std::string::npos);
  EXPECT_THROW(LoadModelConfig("/nonexistent/model.toml"), std::invalid_argument);
}

TEST(BatchNormFolding, SameFunctionInEvalMode) {
  Model m(ParseModelConfig(kTinyNet, "tiny.toml"), 2);
  // A few training steps give the BN layers non-trivial running statistics and γ, β.
  TrainOptions o;
  o.lr = 0.01;
  Optimizer opt(o);
  auto params = m.Params();
  Tensor dlogits;
  std::vector<std::int32_t> labels{0, 1, 2, 0, 1, 2, 0, 1};
  for (int step = 0; step < 20; ++step) {
    const Tensor& z = m.Forward(RandomInput(8, {1, 8, 8}, 100 + step), Mode::kTrain);
    dlogits.Resize(z.n, z.shape);
    SoftmaxCrossEntropy<float>(z.n, 3, z.data.data(), labels.data(), dlogits.data.data());
    m.Backward(dlogits);
    opt.Step(params, o.lr);
  }
  const Tensor x = RandomInput(6, {1, 8, 8}, 7);
  const Tensor before = m.Forward(x, Mode::kEval);
  Model folded = m;
  EXPECT_EQ(folded.FoldBatchNorm(), 2);
  EXPECT_EQ(folded.size(), m.size() - 2);
  EXPECT_TRUE(folded.batchnorm_folded());
  const Tensor& after = folded.Forward(x, Mode::kEval);
  for (std::size_t i = 0; i < before.data.size(); ++i)
    EXPECT_NEAR(after.data[i], before.data[i], 1e-4f * (1 + std::abs(before.data[i]))) << i;
}

// Residual shortcuts: layer 4 adds the model's input, layer 6 the input of layer 3.
const char* kResidualNet = R"(
[model]
name = "residual"
input = [2, 5, 5]
classes = 3
[[layer]]
type = "conv"
out = 2
kernel = 3
padding = 1
[[layer]]
type = "batchnorm"
[[layer]]
type = "conv"
out = 2
kernel = 3
padding = 1
[[layer]]
type = "add"
from = 1
[[layer]]
type = "conv"
out = 2
kernel = 1
[[layer]]
type = "add"
from = 3
[[layer]]
type = "flatten"
[[layer]]
type = "linear"
out = 3
)";

// d(Σ r·logits)/dW of the first conv and /dx against central differences: both shortcuts
// carry gradient (to the input, and around the last two layers).
TEST(ResidualModel, GradientMatchesFiniteDifferences) {
  Model m(ParseModelConfig(kResidualNet, "residual.toml"), 3);
  EXPECT_EQ(m.layer(3).Describe(), "add input of layer 1");
  const Tensor x0 = RandomInput(2, {2, 5, 5}, 11);
  const auto r = NormalSamples(2 * 3, 1.0, 12);
  auto loss = [&](const Tensor& x) {  // training mode: batchnorm on batch statistics, as Backward assumes
    const Tensor& y = m.Forward(x, Mode::kTrain);
    double s = 0;
    for (std::size_t i = 0; i < r.size(); ++i) s += static_cast<double>(y.data[i]) * r[i];
    return s;
  };
  loss(x0);
  Tensor dlogits;
  dlogits.Resize(2, {3, 1, 1});
  dlogits.data = r;
  m.Backward(dlogits);
  auto params = m.Params();
  const std::vector<float> grad(params[0].grad.begin(), params[0].grad.end());
  for (std::size_t i = 0; i < grad.size(); ++i) {
    const float keep = params[0].value[i];
    params[0].value[i] = keep + 1e-2f;
    const double up = loss(x0);
    params[0].value[i] = keep - 1e-2f;
    const double down = loss(x0);
    params[0].value[i] = keep;
    EXPECT_NEAR(grad[i], (up - down) / 2e-2, 5e-3 * (1 + std::abs(grad[i]))) << "dW " << i;
  }
  // Without the shortcuts the same weights get other gradients: the test sees them.
  const std::string plain = [] {
    std::string t = kResidualNet;
    for (const char* from : {"type = \"add\"\nfrom = 1\n", "type = \"add\"\nfrom = 3\n"})
      t.replace(t.find(from), std::string(from).size(), "type = \"relu\"\n");
    return t;
  }();
  Model p(ParseModelConfig(plain, "plain.toml"), 3);
  p.Forward(x0, Mode::kTrain);
  p.Backward(dlogits);
  EXPECT_NE(std::vector<float>(p.Params()[0].grad.begin(), p.Params()[0].grad.end()), grad);
}

TEST(ResidualModel, ConfigErrorsFoldingAndCheckpoints) {
  auto with = [](const std::string& from) {
    std::string t = kResidualNet;
    t.replace(t.find("from = 3"), 8, from);
    return t;
  };
  EXPECT_NE(ErrorOf(with("from = 6")).find(".from = 6: out of range"), std::string::npos) << ErrorOf(with("from = 6"));
  EXPECT_NE(ErrorOf(with("from = 0")).find(".from = 0: out of range"), std::string::npos);
  EXPECT_NE(ErrorOf(with("")).find("needs 'from'"), std::string::npos);
  std::string wide = kResidualNet;  // the shortcut's source has 1 channel, the sum 2
  wide.replace(wide.find("input = [2, 5, 5]"), 17, "input = [1, 5, 5]");
  EXPECT_NE(ErrorOf(wide).find("the input of layer 1 is 1x5x5, this layer's is 2x5x5"), std::string::npos)
      << ErrorOf(wide);

  Model m(ParseModelConfig(kResidualNet, "residual.toml"), 5);
  const Tensor x = RandomInput(3, {2, 5, 5}, 21);
  const Tensor before = m.Forward(x, Mode::kEval);
  Model folded = m;
  EXPECT_EQ(folded.FoldBatchNorm(), 1);
  EXPECT_EQ(folded.layer(4).Describe(), "add input of layer 2") << "the shortcut follows the removed layer";
  const Tensor& after = folded.Forward(x, Mode::kEval);
  for (std::size_t i = 0; i < before.data.size(); ++i) EXPECT_NEAR(after.data[i], before.data[i], 1e-4f) << i;
  // A shortcut from the batchnorm's own input keeps it.
  std::string keep = kResidualNet;
  keep.replace(keep.find("from = 3"), 8, "from = 2");
  Model k(ParseModelConfig(keep, "keep.toml"), 5);
  EXPECT_EQ(k.FoldBatchNorm(), 0);
  const auto path = std::filesystem::temp_directory_path() / "fixar_residual_model.bin";
  folded.Save(path);
  Model back = Model::Load(path);
  EXPECT_EQ(back.Forward(x, Mode::kEval).data, after.data);
}

TEST(Checkpoint, RoundTripAndCorruption) {
  Model m(ParseModelConfig(kTinyNet, "tiny.toml"), 3);
  const Tensor x = RandomInput(2, {1, 8, 8}, 9);
  m.Forward(x, Mode::kTrain);  // moves the BN running statistics
  const Tensor y = m.Forward(x, Mode::kEval);
  const auto path = std::filesystem::temp_directory_path() / "fixar_cnn_checkpoint_test.bin";
  m.Save(path);
  Model r = Model::Load(path);
  EXPECT_EQ(r.Forward(x, Mode::kEval).data, y.data);
  // Folded models round-trip too.
  Model f = m;
  f.FoldBatchNorm();
  f.Save(path);
  Model rf = Model::Load(path);
  EXPECT_TRUE(rf.batchnorm_folded());
  EXPECT_EQ(rf.Forward(x, Mode::kEval).data, f.Forward(x, Mode::kEval).data);
  // Flip one payload byte: the checksum catches it.
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(-5, std::ios::end);
    io.put('\x7f');
  }
  EXPECT_THROW(Model::Load(path), std::runtime_error);
  std::filesystem::remove(path);
  EXPECT_THROW(Model::Load(path), std::runtime_error);
}

TEST(Model, CopyIsDeep) {
  Model a(ParseModelConfig(kTinyNet, "tiny.toml"), 4);
  Model b = a;
  b.weight_layer(0).weights()[0] += 1.0f;
  EXPECT_NE(a.weight_layer(0).weights()[0], b.weight_layer(0).weights()[0]);
}

// Model configs bind through the config binder: one message naming file, key, value and what is valid.
TEST(ModelConfig, ErrorsHaveTheBindersFormat) {
  EXPECT_EQ(ErrorOf("[model]\nclasses = 4294967306\n[[layer]]\ntype = \"linear\"\nout = 10\n"),
            "test.toml: model.classes = 4294967306: out of range; valid: an integer in [2, 100000]");
  EXPECT_EQ(ErrorOf("[model]\ninput = [1, 28.5, 28]\n[[layer]]\ntype = \"linear\"\nout = 10\n"),
            "test.toml: model.input[1] = 28.5: not a whole number; valid: an integer in [1, 4096]");
  EXPECT_EQ(ErrorOf("[model]\n[[layer]]\ntype = \"linear\"\nout = 10\n[train]\nlr = inf\n"),
            "test.toml: train.lr = inf: not a finite number; valid: a number in [1e-12, 10]");
}

}  // namespace
}  // namespace fixar::cnn
