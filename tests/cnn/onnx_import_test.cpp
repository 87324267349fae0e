// CNNs from ONNX: fixtures exported from PyTorch by tools/make_onnx_fixtures.py
// (tests/cnn/data): the layers, PyTorch's logits reproduced, checkpoints, clear refusals.
#include "cnn/onnx_import.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fixar::cnn {
namespace {

const std::filesystem::path kData = std::filesystem::path(FIXAR_SOURCE_DIR) / "tests/cnn/data";

// <name>_io.csv: per row 784 pixels (0..255) and PyTorch's 10 logits.
void ReadIo(const std::string& name, Tensor& x, std::vector<std::vector<double>>& logits) {
  std::ifstream in(kData / (name + "_io.csv"));
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::vector<double> row;
    for (std::string cell; std::getline(ss, cell, ',');) row.push_back(std::stod(cell));
    ASSERT_EQ(row.size(), 794u);
    rows.push_back(row);
  }
  ASSERT_EQ(rows.size(), 3u);
  x.Resize(static_cast<int>(rows.size()), MapShape{1, 28, 28});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (int p = 0; p < 784; ++p) x.sample(static_cast<int>(i))[p] = static_cast<float>(rows[i][p]) / 255.0f;
    logits.emplace_back(rows[i].begin() + 784, rows[i].end());
  }
}

TEST(OnnxImport, ReproducesPyTorchsLogits) {
  if (!OnnxImportAvailable()) GTEST_SKIP() << "built without libonnx-dev";
  Model m = ImportOnnx(kData / "tiny_cnn.onnx");
  EXPECT_EQ(m.config().name, "tiny_cnn");
  std::vector<std::string> types;
  for (std::size_t i = 0; i < m.size(); ++i) types.push_back(to_string(m.layer(i).type()));
  EXPECT_EQ(types, (std::vector<std::string>{"conv", "batchnorm", "relu", "maxpool", "conv", "relu", "avgpool",
                                             "flatten", "linear", "relu", "linear"}));
  EXPECT_EQ(m.num_weight_layers(), 4u);
  EXPECT_TRUE(m.weight_layer(0).bias().empty());  // bias = False before the BatchNorm
  Tensor x;
  std::vector<std::vector<double>> want;
  ReadIo("tiny_cnn", x, want);
  const Tensor& y = m.Forward(x, Mode::kEval);
  ASSERT_EQ(y.n, 3);
  double worst = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 10; ++j) worst = std::max(worst, std::fabs(y.sample(i)[j] - want[i][j]));
  EXPECT_LT(worst, 1e-6) << "float32 sums in another order than PyTorch's (measured 1.5e-8)";
  // Saved as a fixar checkpoint and loaded back: the same function.
  const auto path = std::filesystem::temp_directory_path() / "fixar_onnx_import.bin";
  m.Save(path);
  Model back = LoadModelFile(path);
  const Tensor& y2 = back.Forward(x, Mode::kEval);
  EXPECT_EQ(y2.data, y.data);
  // Folding the imported BatchNorm keeps the function (its statistics were imported).
  EXPECT_EQ(back.FoldBatchNorm(), 1);
  const Tensor& y3 = back.Forward(x, Mode::kEval);
  for (std::size_t k = 0; k < y.data.size(); ++k) EXPECT_NEAR(y3.data[k], y.data[k], 1e-4);
}

// A ResNet-style net: two basic blocks with identity shortcuts (ONNX Add) become add layers.
TEST(OnnxImport, ResidualBlocksReproducePyTorchsLogits) {
  if (!OnnxImportAvailable()) GTEST_SKIP() << "built without libonnx-dev";
  Model m = ImportOnnx(kData / "tiny_resnet.onnx");
  std::vector<std::string> adds;
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m.layer(i).type() == LayerType::kAdd) adds.push_back(m.layer(i).Describe());
  // conv bn relu | conv bn relu conv bn add relu | maxpool | conv bn relu conv bn add relu | ...
  EXPECT_EQ(adds, (std::vector<std::string>{"add input of layer 4", "add input of layer 12"}));
  Tensor x;
  std::vector<std::vector<double>> want;
  ReadIo("tiny_resnet", x, want);
  const Tensor& y = m.Forward(x, Mode::kEval);
  double worst = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 10; ++j) worst = std::max(worst, std::fabs(y.sample(i)[j] - want[i][j]));
  EXPECT_LT(worst, 1e-5);
  const std::vector<float> logits = y.data;
  EXPECT_EQ(m.FoldBatchNorm(), 5);
  const Tensor& folded = m.Forward(x, Mode::kEval);
  for (std::size_t k = 0; k < logits.size(); ++k) EXPECT_NEAR(folded.data[k], logits[k], 1e-4);
}

void ExpectRefused(const char* file, std::vector<std::string> parts) {
  try {
    ImportOnnx(kData / file);
    ADD_FAILURE() << file << ": no exception";
  } catch (const std::invalid_argument& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(OnnxImport, RefusesWhatItCannotRunNamingTheNode) {
  if (!OnnxImportAvailable()) GTEST_SKIP() << "built without libonnx-dev";
  ExpectRefused("tiny_projection.onnx", {"tiny_projection.onnx", "node '/1/shortcut/Conv' (Conv)", "branches"});
  ExpectRefused("tiny_sigmoid.onnx", {"node '/3/Sigmoid' (Sigmoid)", "operator not supported", "Gemm"});
  ExpectRefused("tiny_cnn_io.csv", {"tiny_cnn_io.csv", "not an ONNX model"});
  ExpectRefused("no_such.onnx", {"no_such.onnx", "cannot open"});
}

TEST(OnnxImport, LoadModelFileDispatchesOnTheExtension) {
  try {
    LoadModelFile(kData / "not_there.bin");
    FAIL() << "no exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("not_there.bin"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fixar::cnn
