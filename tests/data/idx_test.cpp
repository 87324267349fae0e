// IDX reading: synthetic files (plain and gzip) written to a temp dir, then every kind of
// broken file, which must give a std::runtime_error naming the file and the mismatch.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/idx.h"

namespace fixar::data {
namespace {

namespace fs = std::filesystem;

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("fixar_idx_" + std::to_string(::getpid()) + "_" + info->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Path(const std::string& name) const { return dir_ / name; }

  static void WriteBytes(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  static std::vector<std::uint8_t> ReadBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  // 3 images of 2 x 3 ubyte pixels: pixel value = 10 * image + position.
  static IdxArray Images() {
    IdxArray a;
    a.type = IdxType::kUint8;
    a.dims = {3, 2, 3};
    for (int i = 0; i < 3; ++i)
      for (int p = 0; p < 6; ++p) a.data.push_back(static_cast<std::uint8_t>(10 * i + p));
    return a;
  }
  static IdxArray Labels(std::vector<std::uint8_t> values) {
    IdxArray a;
    a.type = IdxType::kUint8;
    a.dims = {static_cast<std::uint32_t>(values.size())};
    a.data = std::move(values);
    return a;
  }
  // Expects read_idx(p) to throw, with every part in the message.
  static void ExpectError(const fs::path& p, std::initializer_list<std::string> parts) {
    try {
      read_idx(p);
      FAIL() << "expected std::runtime_error for " << p;
    } catch (const std::runtime_error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(p.string()), std::string::npos) << m;
      for (const auto& part : parts) EXPECT_NE(m.find(part), std::string::npos) << "'" << part << "' missing in: " << m;
    }
  }

  fs::path dir_;
};

TEST_F(TempDir, PlainUbyteRoundTrip) {
  write_idx(Path("img"), Images());
  const auto bytes = ReadBytes(Path("img"));
  // Header by hand: magic 00 00 08 03, then 3, 2, 3 as big-endian uint32, then 18 pixels.
  ASSERT_EQ(bytes.size(), 4u + 12u + 18u);
  EXPECT_EQ(bytes[2], 0x08);
  EXPECT_EQ(bytes[3], 3);
  EXPECT_EQ(bytes[7], 3);
  EXPECT_EQ(bytes[11], 2);
  const IdxArray a = read_idx(Path("img"));
  EXPECT_EQ(a.type, IdxType::kUint8);
  EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{3, 2, 3}));
  EXPECT_EQ(a.element_count(), 18u);
  EXPECT_EQ(a.as_uint8()[7], 11);  // image 1, position 1
}

TEST_F(TempDir, GzipIsDetectedByContentNotName) {
  write_idx(Path("img.gz"), Images(), /*gzip=*/true);
  write_idx(Path("img_compressed_without_suffix"), Images(), /*gzip=*/true);
  EXPECT_EQ(ReadBytes(Path("img.gz"))[0], 0x1f);
  EXPECT_EQ(read_idx(Path("img.gz")).data, Images().data);
  EXPECT_EQ(read_idx(Path("img_compressed_without_suffix")).data, Images().data);
}

TEST_F(TempDir, WiderTypesAreBigEndianOnDisk) {
  IdxArray a;
  a.type = IdxType::kInt16;
  a.dims = {2};
  const std::int16_t values[2] = {-2, 258};
  a.data.resize(4);
  std::memcpy(a.data.data(), values, 4);
  write_idx(Path("s"), a);
  const auto bytes = ReadBytes(Path("s"));
  EXPECT_EQ(bytes[8], 0xFF);  // -2 = 0xFFFE, big-endian
  EXPECT_EQ(bytes[9], 0xFE);
  EXPECT_EQ(bytes[10], 0x01);  // 258 = 0x0102
  EXPECT_EQ(read_idx(Path("s")).to_float(), (std::vector<float>{-2.0f, 258.0f}));

  IdxArray f;
  f.type = IdxType::kFloat32;
  f.dims = {1, 1};
  const float v = 1.5f;
  f.data.resize(4);
  std::memcpy(f.data.data(), &v, 4);
  write_idx(Path("f.gz"), f, true);
  EXPECT_EQ(read_idx(Path("f.gz")).to_float(), (std::vector<float>{1.5f}));
  EXPECT_THROW(read_idx(Path("f.gz")).as_uint8(), std::runtime_error);
}

TEST_F(TempDir, TruncatedPayload) {
  write_idx(Path("img"), Images());
  auto bytes = ReadBytes(Path("img"));
  bytes.resize(bytes.size() - 5);
  WriteBytes(Path("img"), bytes);
  ExpectError(Path("img"), {"3x2x3", "18 bytes", "found 13 bytes", "truncated"});
}

TEST_F(TempDir, TrailingDataMeansDimsDoNotMatch) {
  write_idx(Path("img"), Images());
  auto bytes = ReadBytes(Path("img"));
  bytes.push_back(0);
  WriteBytes(Path("img"), bytes);
  ExpectError(Path("img"), {"18 bytes", "found 19 bytes", "trailing"});
}

TEST_F(TempDir, TruncatedHeaderAndTinyFiles) {
  WriteBytes(Path("h"), {0, 0, 8, 3, 0, 0, 0, 3});
  ExpectError(Path("h"), {"truncated header", "16-byte", "found 8"});
  WriteBytes(Path("t"), {0, 0});
  ExpectError(Path("t"), {"4-byte magic", "2-byte"});
  WriteBytes(Path("e"), {});
  ExpectError(Path("e"), {"0-byte"});
}

TEST_F(TempDir, WrongMagicAndUnknownType) {
  WriteBytes(Path("png"), {0x89, 'P', 'N', 'G', 0, 0, 0, 0});
  ExpectError(Path("png"), {"wrong magic", "0x89504e47", "0x0000TTDD"});
  WriteBytes(Path("type"), {0, 0, 0x07, 1, 0, 0, 0, 1, 5});
  ExpectError(Path("type"), {"unknown element type 0x07", "0x08 ubyte"});
  WriteBytes(Path("d0"), {0, 0, 0x08, 0});
  ExpectError(Path("d0"), {"dimension count 0"});
}

TEST_F(TempDir, HugeDimsDoNotOverflow) {
  // 0xFFFFFFFF^3 elements would overflow 64 bits: must be an error, not a crash.
  WriteBytes(Path("huge"), {0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1});
  ExpectError(Path("huge"), {"more bytes than the file holds"});
}

TEST_F(TempDir, TruncatedAndCorruptGzip) {
  // Random-looking pixels so that the deflate stream is long enough to cut and damage.
  IdxArray big;
  big.dims = {64, 32};
  for (int i = 0; i < 64 * 32; ++i) big.data.push_back(static_cast<std::uint8_t>((i * 2654435761u) >> 24));
  write_idx(Path("big.gz"), big, true);
  const auto gz = ReadBytes(Path("big.gz"));
  ASSERT_GT(gz.size(), 200u);

  auto cut = gz;
  cut.resize(gz.size() / 2);
  WriteBytes(Path("cut.gz"), cut);
  ExpectError(Path("cut.gz"), {"truncated gzip stream"});

  auto bad = gz;
  for (std::size_t i = 20; i < 60; ++i) bad[i] ^= 0x5A;  // damage the deflate blocks
  WriteBytes(Path("bad.gz"), bad);
  try {
    read_idx(Path("bad.gz"));
    FAIL() << "corrupt gzip accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(Path("bad.gz").string()), std::string::npos) << e.what();
  }
}

TEST_F(TempDir, MissingFile) { ExpectError(Path("absent"), {"cannot open", "no such file"}); }

TEST_F(TempDir, ClassificationDatasetFromIdx) {
  write_idx(Path("img.gz"), Images(), true);
  write_idx(Path("lab"), Labels({2, 0, 1}));
  const Dataset d = load_idx_classification(Path("img.gz"), Path("lab"), 3, "tiny");
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.shape(), (ImageShape{1, 2, 3}));
  EXPECT_EQ(d.label(0), 2);
  EXPECT_FLOAT_EQ(d.image(1)[5], 15.0f / 255.0f);  // scaled to [0, 1]
}

TEST_F(TempDir, ClassificationCountMismatchAndLabelRange) {
  write_idx(Path("img"), Images());
  write_idx(Path("lab2"), Labels({0, 1}));
  try {
    load_idx_classification(Path("img"), Path("lab2"), 10, "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    for (const std::string& part : std::vector<std::string>{Path("img").string(), Path("lab2").string(), "3 images", "2 labels"}) {
      EXPECT_NE(m.find(part), std::string::npos) << m;
    }
  }
  write_idx(Path("lab_big"), Labels({0, 1, 10}));
  try {
    load_idx_classification(Path("img"), Path("lab_big"), 10, "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("label[2] = 10"), std::string::npos) << m;
    EXPECT_NE(m.find("[0, 9]"), std::string::npos) << m;
  }
  // Labels given as a 2-D array: wrong rank.
  IdxArray l2 = Labels({0, 1, 2});
  l2.dims = {3, 1};
  write_idx(Path("lab_rank"), l2);
  EXPECT_THROW(load_idx_classification(Path("img"), Path("lab_rank"), 10, "x"), std::runtime_error);
}

}  // namespace
}  // namespace fixar::data
