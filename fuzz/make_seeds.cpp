// Writes the binary seeds of fuzz/corpus: checkpoints of the small runs in seed_runs.h
// (rl_checkpoint), a small CNN model checkpoint (cnn_checkpoint), checked-file headers
// (checked_file) and IDX files of every element type, plain and gzip (idx). The text
// seeds (TOML, JSON, CSV) are copied from configs/ or written by hand. Usage:
//   make_seeds CORPUS_DIR      (CORPUS_DIR/<target>/ must exist)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cnn/model.h"
#include "data/idx.h"
#include "rl/trainer.h"
#include "seed_runs.h"
#include "util/binary_io.h"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void WriteBytes(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
constexpr std::size_t kHeader = 28;  // util::WriteCheckedFile: magic 8, version 4, size 8, checksum 8

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  const fs::path corpus = argv[1];
  const fs::path tmp = fs::temp_directory_path() / "fixar_make_seeds";
  fs::remove_all(tmp);
  fs::create_directories(tmp);

  // rl_checkpoint: first byte = precision (0 fixar, 1 float32), then the payload.
  const char* precisions[] = {"fixar", "float32"};
  for (std::uint8_t p = 0; p < 2; ++p) {
    fixar::rl::TrainOptions o;
    o.config = fixar::fuzz::SeedRunConfig(precisions[p]);
    o.run_dir = (tmp / precisions[p]).string();
    o.progress = false;
    fixar::rl::Train(o);
    const Bytes file = ReadBytes(tmp / precisions[p] / "checkpoint.bin");
    Bytes seed{p};
    seed.insert(seed.end(), file.begin() + kHeader, file.end());
    WriteBytes(corpus / "rl_checkpoint" / (std::string(precisions[p]) + ".bin"), seed);
    if (p == 0) WriteBytes(corpus / "checked_file" / "checkpoint_head.bin", Bytes(file.begin(), file.begin() + 200));
  }
  // checked_file: a whole small checked file.
  fixar::util::WriteCheckedFile((tmp / "small.bin").string(), "FIXARCKP", 4, Bytes{1, 2, 3, 4, 5, 6, 7, 8});
  WriteBytes(corpus / "checked_file" / "small.bin", ReadBytes(tmp / "small.bin"));

  // cnn_checkpoint: a small model with every layer type, batchnorm folded and not.
  const std::string toml = R"([model]
name = "fuzz_seed"
input = [1, 8, 8]
classes = 3
[[layer]]
type = "conv"
out = 2
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
type = "avgpool"
kernel = 2
[[layer]]
type = "flatten"
[[layer]]
type = "linear"
out = 3
)";
  for (bool fold : {false, true}) {
    fixar::cnn::Model m(fixar::cnn::ParseModelConfig(toml, "fuzz_seed.toml"), 1);
    if (fold) m.FoldBatchNorm();
    const fs::path f = tmp / "model.bin";
    m.Save(f);
    const Bytes file = ReadBytes(f);
    WriteBytes(corpus / "cnn_checkpoint" / (fold ? "folded.bin" : "model.bin"), Bytes(file.begin() + kHeader, file.end()));
  }

  // idx: every element type, plain and gzip.
  using fixar::data::IdxType;
  struct Case {
    const char* name;
    IdxType type;
    std::vector<std::uint32_t> dims;
  };
  for (const Case& c : {Case{"ubyte_2x3x3", IdxType::kUint8, {2, 3, 3}}, Case{"byte_4", IdxType::kInt8, {4}},
                        Case{"short_2x2", IdxType::kInt16, {2, 2}}, Case{"int_3", IdxType::kInt32, {3}},
                        Case{"float_2x1", IdxType::kFloat32, {2, 1}}, Case{"double_2", IdxType::kFloat64, {2}}}) {
    fixar::data::IdxArray a;
    a.type = c.type;
    a.dims = c.dims;
    std::size_t n = 1;
    for (auto d : c.dims) n *= d;
    a.data.resize(n * static_cast<std::size_t>(fixar::data::element_size(c.type)));
    for (std::size_t i = 0; i < a.data.size(); ++i) a.data[i] = static_cast<std::uint8_t>(i * 37 + 1);
    fixar::data::write_idx(tmp / "a.idx", a, false);
    WriteBytes(corpus / "idx" / (std::string(c.name) + ".idx"), ReadBytes(tmp / "a.idx"));
    if (c.type == IdxType::kUint8 || c.type == IdxType::kFloat32) {
      fixar::data::write_idx(tmp / "a.idx.gz", a, true);
      WriteBytes(corpus / "idx" / (std::string(c.name) + ".idx.gz"), ReadBytes(tmp / "a.idx.gz"));
    }
  }
  fs::remove_all(tmp);
  return 0;
}
