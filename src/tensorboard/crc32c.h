// CRC-32C (Castagnoli), the checksum of TFRecord framing, and TFRecord's masked form.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fixar::tensorboard {

// CRC-32C of `size` bytes (reflected polynomial 0x82F63B78, initial value and final XOR
// 0xFFFFFFFF): Crc32c("123456789", 9) == 0xE3069283.
std::uint32_t Crc32c(const void* data, std::size_t size);

// TFRecord's masked CRC: rotate right by 15 bits, add 0xA282EAD8 (mod 2^32).
std::uint32_t MaskedCrc32c(const void* data, std::size_t size);

}  // namespace fixar::tensorboard
