#include "tensorboard/crc32c.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tensorboard/event_writer.h"

namespace fixar::tensorboard {
namespace {

// The CRC catalogue's check value and RFC 3720's (iSCSI) test vectors for CRC-32C.
TEST(Crc32c, MatchesPublishedCheckValues) {
  const std::string digits = "123456789";
  EXPECT_EQ(Crc32c(digits.data(), digits.size()), 0xE3069283u);
  const std::vector<unsigned char> zeros(32, 0x00), ones(32, 0xFF);
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  std::vector<unsigned char> ascending(32), descending(32);
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<unsigned char>(i);
    descending[i] = static_cast<unsigned char>(31 - i);
  }
  EXPECT_EQ(Crc32c(ascending.data(), ascending.size()), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending.data(), descending.size()), 0x113FDB5Cu);
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);
}

TEST(Crc32c, MaskRotatesAndAddsTheConstant) {
  const std::string digits = "123456789";
  const std::uint32_t crc = 0xE3069283u;
  EXPECT_EQ(MaskedCrc32c(digits.data(), digits.size()), ((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
}

// TFRecord: u64 length, masked CRC of those 8 bytes, the payload, masked CRC of it.
TEST(FrameRecord, LaysOutLengthChecksumsAndPayload) {
  const std::string payload = "hello";
  const std::string frame = FrameRecord(payload);
  ASSERT_EQ(frame.size(), 8u + 4u + payload.size() + 4u);
  EXPECT_EQ(frame.substr(0, 8), std::string("\x05\0\0\0\0\0\0\0", 8));
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(frame[at + i]);
    return v;
  };
  EXPECT_EQ(u32(8), MaskedCrc32c(frame.data(), 8));
  EXPECT_EQ(frame.substr(12, payload.size()), payload);
  EXPECT_EQ(u32(12 + payload.size()), MaskedCrc32c(payload.data(), payload.size()));
}

}  // namespace
}  // namespace fixar::tensorboard
