#include "data/idx.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace fixar::data {

const char* to_string(IdxType t) {
  switch (t) {
    case IdxType::kUint8: return "ubyte";
    case IdxType::kInt8: return "byte";
    case IdxType::kInt16: return "short";
    case IdxType::kInt32: return "int";
    case IdxType::kFloat32: return "float";
    case IdxType::kFloat64: return "double";
  }
  return "?";
}

int element_size(IdxType t) {
  switch (t) {
    case IdxType::kUint8:
    case IdxType::kInt8: return 1;
    case IdxType::kInt16: return 2;
    case IdxType::kInt32:
    case IdxType::kFloat32: return 4;
    case IdxType::kFloat64: return 8;
  }
  return 1;
}

std::size_t IdxArray::element_count() const {
  std::size_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

namespace {

template <class T>
T LoadHost(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::string DimsString(const std::vector<std::uint32_t>& dims) {
  std::string s;
  for (auto d : dims) {
    if (!s.empty()) s += 'x';
    s += std::to_string(d);
  }
  return s;
}

}  // namespace

std::vector<float> IdxArray::to_float() const {
  const std::size_t n = element_count();
  std::vector<float> out(n);
  const std::uint8_t* p = data.data();
  for (std::size_t i = 0; i < n; ++i) {
    switch (type) {
      case IdxType::kUint8: out[i] = static_cast<float>(p[i]); break;
      case IdxType::kInt8: out[i] = static_cast<float>(static_cast<std::int8_t>(p[i])); break;
      case IdxType::kInt16: out[i] = static_cast<float>(LoadHost<std::int16_t>(p + 2 * i)); break;
      case IdxType::kInt32: out[i] = static_cast<float>(LoadHost<std::int32_t>(p + 4 * i)); break;
      case IdxType::kFloat32: out[i] = LoadHost<float>(p + 4 * i); break;
      case IdxType::kFloat64: out[i] = static_cast<float>(LoadHost<double>(p + 8 * i)); break;
    }
  }
  return out;
}

std::span<const std::uint8_t> IdxArray::as_uint8() const {
  if (type != IdxType::kUint8) {
    throw std::runtime_error(fmt::format("IDX {}: expected element type ubyte (0x08), found {} (0x{:02x})", source,
                                         to_string(type), static_cast<int>(type)));
  }
  return data;
}

IdxArray parse_idx(std::span<const std::uint8_t> bytes, const std::string& source) {
  if (bytes.size() < 4) {
    throw std::runtime_error(fmt::format("IDX {}: truncated: expected a 4-byte magic number, found a {}-byte file",
                                         source, bytes.size()));
  }
  const std::uint32_t magic = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                              (std::uint32_t{bytes[2]} << 8) | bytes[3];
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw std::runtime_error(fmt::format(
        "IDX {}: wrong magic number 0x{:08x}: expected 0x0000TTDD (two zero bytes, type TT, dimension count DD); "
        "is this an IDX file?", source, magic));
  }
  IdxArray a;
  a.source = source;
  switch (bytes[2]) {
    case 0x08: case 0x09: case 0x0B: case 0x0C: case 0x0D: case 0x0E:
      a.type = static_cast<IdxType>(bytes[2]);
      break;
    default:
      throw std::runtime_error(fmt::format(
          "IDX {}: unknown element type 0x{:02x} in magic 0x{:08x}: valid types are 0x08 ubyte, 0x09 byte, "
          "0x0B short, 0x0C int, 0x0D float, 0x0E double", source, bytes[2], magic));
  }
  const int ndims = bytes[3];
  if (ndims == 0) {
    throw std::runtime_error(fmt::format("IDX {}: dimension count 0 in magic 0x{:08x}: expected 1..255", source, magic));
  }
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndims);
  if (bytes.size() < header) {
    throw std::runtime_error(fmt::format("IDX {}: truncated header: {} dimensions need a {}-byte header, found {} bytes",
                                         source, ndims, header, bytes.size()));
  }
  // Expected payload = prod(dims) * element size; up to 255 sizes of 2^32 can overflow
  // 64 bits, which is reported as such instead of wrapping around.
  const std::size_t payload = bytes.size() - header;
  const std::size_t esize = static_cast<std::size_t>(element_size(a.type));
  std::size_t count = 1;
  bool too_big = false;
  for (int d = 0; d < ndims; ++d) {
    const std::uint8_t* p = bytes.data() + 4 + 4 * d;
    const std::uint32_t size = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    a.dims.push_back(size);
    too_big = too_big || __builtin_mul_overflow(count, std::size_t{size}, &count);
  }
  std::size_t expected_bytes = 0;
  too_big = too_big || __builtin_mul_overflow(count, esize, &expected_bytes);
  if (too_big || expected_bytes != payload) {
    const std::string expected = too_big ? std::string("more than 2^64 bytes, more bytes than the file holds")
                                         : fmt::format("{} elements x {} bytes = {} bytes", count, esize, expected_bytes);
    throw std::runtime_error(fmt::format(
        "IDX {}: dims {} of type {} need {} after the {}-byte header, found {} bytes ({})", source,
        DimsString(a.dims), to_string(a.type), expected, header, payload,
        too_big || payload < expected_bytes ? "truncated file?" : "trailing data: corrupt file or wrong dims?"));
  }
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  // IDX is big-endian; store host order so views can memcpy the elements directly.
  if (esize > 1 && std::endian::native == std::endian::little) {
    for (std::size_t i = 0; i < count; ++i) {
      std::uint8_t* e = a.data.data() + i * esize;
      for (std::size_t j = 0; j < esize / 2; ++j) std::swap(e[j], e[esize - 1 - j]);
    }
  }
  return a;
}

std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error(fmt::format("IDX {}: cannot open: {}", path.string(),
                                         std::filesystem::exists(path) ? "not readable" : "no such file"));
  }
  std::vector<std::uint8_t> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return inflate_if_gzip(std::move(raw), path.string());
}

std::vector<std::uint8_t> inflate_if_gzip(std::vector<std::uint8_t> raw, const std::string& source) {
  if (raw.size() < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;  // not gzip: the bytes as they are

  // gzip: inflate every member (16 + MAX_WBITS = expect a gzip header and trailer).
  std::vector<std::uint8_t> out;
  if (raw.size() >= 4) {
    // Trailer ISIZE (little-endian, mod 2^32) of the last member: a capacity hint only,
    // never above what the compressed bytes can inflate to (deflate: at most 1032:1).
    const std::size_t n = raw.size();
    const std::uint32_t isize = raw[n - 4] | (raw[n - 3] << 8) | (raw[n - 2] << 16) | (std::uint32_t{raw[n - 1]} << 24);
    out.reserve(std::min({std::size_t{isize}, std::size_t{1} << 30, n * 1032}));
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    throw std::runtime_error(fmt::format("IDX {}: zlib inflateInit2 failed", source));
  }
  zs.next_in = raw.data();
  zs.avail_in = static_cast<uInt>(raw.size());  // files < 4 GiB (Fashion-MNIST: 26 MB)
  std::uint8_t chunk[1 << 16];
  int rc = Z_OK;
  while (true) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), chunk, chunk + (sizeof(chunk) - zs.avail_out));
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another gzip member follows (concatenated .gz files)
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      throw std::runtime_error(fmt::format(
          "IDX {}: truncated gzip stream: expected the end of the compressed data, found end of file after {} "
          "compressed bytes ({} decompressed)", source, raw.size(), out.size()));
    }
    const std::string msg = zs.msg != nullptr ? std::string(zs.msg) : fmt::format("error code {}", rc);
    inflateEnd(&zs);
    throw std::runtime_error(
        fmt::format("IDX {}: corrupt gzip stream after {} decompressed bytes: {}", source, out.size(), msg));
  }
  inflateEnd(&zs);
  return out;
}

IdxArray read_idx(const std::filesystem::path& path) {
  const auto bytes = read_file_bytes(path);
  return parse_idx(bytes, path.string());
}

void write_idx(const std::filesystem::path& path, const IdxArray& array, bool gzip) {
  std::vector<std::uint8_t> bytes = {0, 0, static_cast<std::uint8_t>(array.type),
                                     static_cast<std::uint8_t>(array.dims.size())};
  for (auto d : array.dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  const std::size_t esize = static_cast<std::size_t>(element_size(array.type));
  for (std::size_t i = 0; i < array.data.size(); i += esize) {
    for (std::size_t j = 0; j < esize; ++j) {
      // Host order back to big-endian.
      const std::size_t src = std::endian::native == std::endian::little ? esize - 1 - j : j;
      bytes.push_back(array.data[i + src]);
    }
  }
  if (!gzip) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error(fmt::format("IDX {}: cannot write", path.string()));
    return;
  }
  gzFile f = gzopen(path.string().c_str(), "wb");
  if (f == nullptr) throw std::runtime_error(fmt::format("IDX {}: cannot open for gzip writing", path.string()));
  const int written = gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  const int closed = gzclose(f);
  if (written != static_cast<int>(bytes.size()) || closed != Z_OK) {
    throw std::runtime_error(fmt::format("IDX {}: gzip write failed", path.string()));
  }
}

}  // namespace fixar::data
