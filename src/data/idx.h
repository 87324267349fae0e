// IDX files (the MNIST / Fashion-MNIST container), plain or gzip-compressed.
//
// Layout (LeCun et al., the MNIST page): bytes 0-1 are zero, byte 2 is the element type,
// byte 3 the number of dimensions D; then D big-endian uint32 sizes; then the elements,
// big-endian, row-major (last dimension fastest). A file must hold exactly
// prod(sizes) elements after the header: fewer (truncated) or more (corrupt) throws.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace fixar::data {

enum class IdxType : std::uint8_t {
  kUint8 = 0x08,
  kInt8 = 0x09,
  kInt16 = 0x0B,
  kInt32 = 0x0C,
  kFloat32 = 0x0D,
  kFloat64 = 0x0E,
};
const char* to_string(IdxType t);  // "ubyte", "byte", "short", "int", "float", "double"
int element_size(IdxType t);       // bytes per element: 1, 1, 2, 4, 4, 8

struct IdxArray {
  IdxType type = IdxType::kUint8;
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;  // elements in HOST byte order, row-major
  std::string source;              // file it was read from, for messages

  std::size_t element_count() const;
  // The elements converted to float (exact for every type but int32/float64 of large magnitude).
  std::vector<float> to_float() const;
  // The raw bytes of a kUint8 array; throws std::runtime_error naming `source` otherwise.
  std::span<const std::uint8_t> as_uint8() const;
};

// Parses an IDX image held in memory. `source` names it in errors.
IdxArray parse_idx(std::span<const std::uint8_t> bytes, const std::string& source);
// Reads a file, gzip-compressed or not (detected from the gzip magic 1f 8b, not the name).
// Every problem (missing file, bad gzip stream, wrong magic, unknown type, size mismatch)
// throws std::runtime_error naming the file, what was expected and what was found.
IdxArray read_idx(const std::filesystem::path& path);
// Decompressed (if gzip) contents of a file; used by read_idx, exposed for tests.
std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path);
// read_file_bytes without the file: `raw` inflated when it starts with the gzip magic,
// else returned as it is; `source` names it in errors (std::runtime_error).
std::vector<std::uint8_t> inflate_if_gzip(std::vector<std::uint8_t> raw, const std::string& source);

// Serialises an array as IDX (big-endian) — for tests and tools; gzip when `gzip` is true.
void write_idx(const std::filesystem::path& path, const IdxArray& array, bool gzip = false);

}  // namespace fixar::data
