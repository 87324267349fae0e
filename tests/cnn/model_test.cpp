// Model building from configs, config errors, BN folding, checkpoints, training.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

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

TEST(ModelConfig, ErrorsNameTheProblem) {
  EXPECT_NE(ErrorOf("[model]\nclasses = 3\n").find("[[layer]]"), std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"conv\"\nout = 10\nkernel = 3\nfoo = 1\n").find("unknown key 'foo'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"deconv\"\n").find("type 'deconv' is unknown; valid: conv"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"conv\"\nout = 10\nkernel = 0\n").find("'kernel' = 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\ninput=[1,4,4]\n[[layer]]\ntype = \"conv\"\nout = 10\nkernel = 7\n").find("does not fit"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\nclasses = 3\n[[layer]]\ntype = \"linear\"\nout = 4\n").find("classes = 3"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"linear\"\nout = 10\n[train]\noptimizer = \"lbfgs\"\n")
                .find("optimizer 'lbfgs' is unknown; valid: adam, sgd"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model]\n[[layer]]\ntype = \"linear\"\nout = \"ten\"\n").find("'out' must be an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[model\n").find("TOML syntax error"), std::string::npos);
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

}  // namespace
}  // namespace fixar::cnn
