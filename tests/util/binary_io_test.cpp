// Checked binary files and the byte writer's views (checkpoints write the replay buffer
// by reference instead of copying it).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "util/binary_io.h"

// GCC 12 reports a bogus -Wstringop-overflow for the first vector::insert into a writer
// it can see is empty (the size-0 region is the empty vector before it grows).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

namespace fixar::util {
namespace {

// A writer with views holds the same payload as one that copies: same pieces in order,
// same flattened bytes, and the same file on disk.
TEST(ByteWriter, ViewsLayOutLikeCopies) {
  const std::vector<float> big = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f};
  const std::vector<std::int32_t> small = {4, 5};
  ByteWriter copied, viewed;
  copied.Put<std::int64_t>(42);
  viewed.Put<std::int64_t>(42);
  copied.PutVector(big);
  viewed.PutVectorView(big);
  copied.PutVector(small);
  viewed.PutVector(small);
  copied.PutVector(big);
  viewed.PutVectorView(big);
  EXPECT_EQ(viewed.size(), copied.bytes().size());
  EXPECT_EQ(viewed.Flatten(), copied.bytes());
  EXPECT_EQ(viewed.pieces().size(), 5u);  // owned, view, owned, view, owned (empty tail)
  EXPECT_THROW(viewed.bytes(), std::logic_error);

  const auto dir = std::filesystem::temp_directory_path();
  const std::string a = (dir / "fixar_io_copied.bin").string(), b = (dir / "fixar_io_viewed.bin").string();
  WriteCheckedFile(a, "TESTFILE", 3, copied.bytes());
  WriteCheckedFile(b, "TESTFILE", 3, viewed);
  auto slurp = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(slurp(a), slurp(b));
  const auto payload = ReadCheckedFile(b, "TESTFILE", 3);
  EXPECT_EQ(payload, copied.bytes());
  ByteReader r(payload.data(), payload.size(), "test");
  EXPECT_EQ(r.Get<std::int64_t>(), 42);
  EXPECT_EQ(r.GetVector<float>(), big);
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

// What the reader refuses, each with the file named: truncation, padding, a flipped
// payload bit, another magic, another version.
TEST(CheckedFile, RefusesDamagedFiles) {
  const std::string path = (std::filesystem::temp_directory_path() / "fixar_io_damaged.bin").string();
  const std::vector<std::uint8_t> payload(1000, 7);
  auto expect_refused = [&](const char* what) {
    try {
      ReadCheckedFile(path, "TESTFILE", 1);
      ADD_FAILURE() << "accepted a file with " << what;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    // The in-memory reader refuses the same bytes.
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_THROW(CheckedPayload(bytes, path, "TESTFILE", 1, 1), std::runtime_error) << what;
  };
  auto rewrite = [&](auto&& damage) {
    WriteCheckedFile(path, "TESTFILE", 1, payload);
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    damage(f);
  };
  WriteCheckedFile(path, "TESTFILE", 1, payload);
  EXPECT_EQ(ReadCheckedFile(path, "TESTFILE", 1), payload);
  {
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto view = CheckedPayload(bytes, path, "TESTFILE", 1, 1);
    EXPECT_EQ(std::vector<std::uint8_t>(view.begin(), view.end()), payload);
  }
  std::filesystem::resize_file(path, 500);
  expect_refused("a truncated payload");
  std::filesystem::resize_file(path, 10);
  expect_refused("a truncated header");
  rewrite([](std::fstream& f) { f.seekp(0, std::ios::end), f.put('x'); });
  expect_refused("padding");
  rewrite([](std::fstream& f) { f.seekp(28 + 123), f.put(8); });
  expect_refused("a changed payload byte");
  WriteCheckedFile(path, "OTHERONE", 1, payload);
  expect_refused("another magic");
  WriteCheckedFile(path, "TESTFILE", 2, payload);
  expect_refused("another version");
  std::filesystem::remove(path);
}

// The start of a payload: its first bytes (all of them when the payload is shorter), with the
// header checked but not the checksum, which covers bytes it does not read.
TEST(CheckedFile, ReadsTheStartOfAPayload) {
  const std::string path = (std::filesystem::temp_directory_path() / "fixar_io_start.bin").string();
  std::vector<std::uint8_t> payload(1000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  WriteCheckedFile(path, "TESTFILE", 2, payload);
  std::uint32_t version = 0;
  EXPECT_EQ(ReadCheckedFileStart(path, "TESTFILE", 1, 3, 16, &version),
            std::vector<std::uint8_t>(payload.begin(), payload.begin() + 16));
  EXPECT_EQ(version, 2u);
  EXPECT_EQ(ReadCheckedFileStart(path, "TESTFILE", 1, 3, 5000), payload);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(28 + 900), f.put(0);  // beyond the start: the checksum fails, the start is read
  }
  EXPECT_THROW(ReadCheckedFile(path, "TESTFILE", 2), std::runtime_error);
  EXPECT_EQ(ReadCheckedFileStart(path, "TESTFILE", 2, 2, 16).size(), 16u);
  EXPECT_THROW(ReadCheckedFileStart(path, "OTHERONE", 2, 2, 16), std::runtime_error);
  EXPECT_THROW(ReadCheckedFileStart(path, "TESTFILE", 3, 3, 16), std::runtime_error);
  std::filesystem::resize_file(path, 500);  // the header's size no longer matches
  EXPECT_THROW(ReadCheckedFileStart(path, "TESTFILE", 2, 2, 16), std::runtime_error);
  std::filesystem::remove(path);
}

// Found by fuzz/rl_checkpoint: an empty stored array handed memcpy a null pointer (UBSan).
TEST(ByteReader, ReadsEmptyArrays) {
  ByteWriter w;
  w.PutVector(std::vector<float>{});
  w.PutString("");
  ByteReader r(w.bytes().data(), w.bytes().size(), "test");
  EXPECT_TRUE(r.GetVector<float>().empty());
  EXPECT_EQ(r.GetString(), "");
  EXPECT_TRUE(r.at_end());
}

// A corrupt element count whose byte size wraps around 64 bits (2^62 floats = 2^64 bytes)
// is reported as missing data, not allocated.
TEST(ByteReader, RefusesCountsBeyondTheData) {
  for (std::uint64_t n : {std::uint64_t{1} << 62, (std::uint64_t{1} << 62) + 1, std::uint64_t{3}, ~std::uint64_t{0}}) {
    ByteWriter w;
    w.Put(n);
    w.Put(1.0f);
    w.Put(2.0f);
    ByteReader r(w.bytes().data(), w.bytes().size(), "test");
    EXPECT_THROW(r.GetVector<float>(), std::runtime_error) << n;
  }
}

}  // namespace
}  // namespace fixar::util
