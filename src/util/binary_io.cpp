#include "util/binary_io.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace fixar::util {

const std::vector<std::uint8_t>& ByteWriter::bytes() const {
  if (!views_.empty())
    throw std::logic_error("ByteWriter::bytes: the payload holds views of other arrays; use pieces() or Flatten()");
  return bytes_;
}

std::vector<std::span<const std::uint8_t>> ByteWriter::pieces() const {
  std::vector<std::span<const std::uint8_t>> out;
  std::size_t from = 0;
  for (const View& v : views_) {
    out.emplace_back(bytes_.data() + from, v.at - from);
    out.push_back(v.data);
    from = v.at;
  }
  out.emplace_back(bytes_.data() + from, bytes_.size() - from);
  return out;
}

std::size_t ByteWriter::size() const {
  std::size_t n = bytes_.size();
  for (const View& v : views_) n += v.data.size();
  return n;
}

std::vector<std::uint8_t> ByteWriter::Flatten() const {
  std::vector<std::uint8_t> out;
  out.reserve(size());
  for (const auto& p : pieces()) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::uint64_t Fnv1a64(const std::uint8_t* data, std::size_t size, std::uint64_t h) {
  for (std::size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

namespace {
constexpr std::size_t kMagicBytes = 8;
constexpr std::size_t kHeader = kMagicBytes + 4 + 8 + 8;
std::string PadMagic(const std::string& magic) {
  std::string m = magic.substr(0, kMagicBytes);
  m.resize(kMagicBytes, '\0');
  return m;
}

struct Header {
  std::uint64_t size = 0, sum = 0;
};

// Checks the kHeader bytes at `head` (magic, version); returns the payload size and checksum.
Header CheckHeader(const std::uint8_t* head, const std::string& path, const std::string& magic,
                   std::uint32_t min_version, std::uint32_t max_version, std::uint32_t* version) {
  ByteReader r(head, kHeader, path);
  std::string m;
  for (std::size_t i = 0; i < kMagicBytes; ++i) m.push_back(r.Get<char>());
  if (m != PadMagic(magic))
    throw std::runtime_error(fmt::format("'{}' is not a {} file (wrong magic)", path, magic));
  const auto v = r.Get<std::uint32_t>();
  if (v < min_version || v > max_version)
    throw std::runtime_error(
        min_version == max_version
            ? fmt::format("'{}' has format version {}, this build reads version {}", path, v, max_version)
            : fmt::format("'{}' has format version {}, this build reads versions {} to {}", path, v, min_version,
                          max_version));
  if (version) *version = v;
  Header h;
  h.size = r.Get<std::uint64_t>();
  h.sum = r.Get<std::uint64_t>();
  return h;
}
}  // namespace

void WriteCheckedFile(const std::string& path, const std::string& magic, std::uint32_t version,
                      const std::vector<std::uint8_t>& payload) {
  ByteWriter w;
  w.PutBytesView(payload);
  WriteCheckedFile(path, magic, version, w);
}

void WriteCheckedFile(const std::string& path, const std::string& magic, std::uint32_t version,
                      const ByteWriter& payload) {
  const auto pieces = payload.pieces();
  std::uint64_t sum = kFnv1a64Basis;
  for (const auto& p : pieces) sum = Fnv1a64(p.data(), p.size(), sum);
  ByteWriter header;
  const std::string m = PadMagic(magic);
  for (char c : m) header.Put(c);
  header.Put(version);
  header.Put<std::uint64_t>(payload.size());
  header.Put(sum);
  const std::string tmp = path + ".tmp";
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw std::runtime_error(fmt::format("cannot write '{}': {}", tmp, std::strerror(errno)));
    bool ok = std::fwrite(header.bytes().data(), 1, header.bytes().size(), f) == header.bytes().size();
    // An empty piece may have a null data(); fwrite must not see it (UBSan: nonnull argument).
    for (const auto& p : pieces) ok = ok && (p.empty() || std::fwrite(p.data(), 1, p.size(), f) == p.size());
    ok = ok && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
    std::fclose(f);
    if (!ok) {
      std::filesystem::remove(tmp);
      throw std::runtime_error(fmt::format("writing '{}' failed: {}", tmp, std::strerror(errno)));
    }
  }
  std::filesystem::rename(tmp, path);  // atomic on POSIX: readers see the old or the new file
}

std::vector<std::uint8_t> ReadCheckedFile(const std::string& path, const std::string& magic, std::uint32_t version) {
  return ReadCheckedFile(path, magic, version, version, nullptr);
}

namespace {

// A checked file opened and its header verified (magic, version, payload size against the
// file's size); the stream stands at the first payload byte.
struct OpenedChecked {
  std::ifstream in;
  std::uint64_t size = 0, sum = 0;
};

OpenedChecked OpenChecked(const std::string& path, const std::string& magic, std::uint32_t min_version,
                          std::uint32_t max_version, std::uint32_t* version) {
  if (std::filesystem::is_directory(path))  // an ifstream opens it and reads nothing
    throw std::runtime_error(fmt::format("'{}' is a directory, not a {} file", path, magic));
  OpenedChecked f;
  f.in.open(path, std::ios::binary);
  if (!f.in) throw std::runtime_error(fmt::format("cannot open '{}'", path));
  std::uint8_t head[kHeader];
  f.in.read(reinterpret_cast<char*>(head), kHeader);
  const auto got = static_cast<std::size_t>(f.in.gcount());
  if (got < kHeader)
    throw std::runtime_error(fmt::format("'{}' is truncated: {} bytes, shorter than the {}-byte header", path,
                                         got, kHeader));
  const Header h = CheckHeader(head, path, magic, min_version, max_version, version);
  f.size = h.size;
  f.sum = h.sum;
  f.in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(f.in.tellg());
  if (file_size - kHeader != f.size)
    throw std::runtime_error(fmt::format("'{}' is truncated or padded: payload {} bytes, header says {}", path,
                                         file_size - kHeader, f.size));
  f.in.seekg(static_cast<std::streamoff>(kHeader));
  return f;
}

// Reads n payload bytes from where `in` stands.
std::vector<std::uint8_t> ReadPayloadBytes(std::ifstream& in, std::uint64_t n, const std::string& path) {
  std::vector<std::uint8_t> bytes(n);  // read straight into its own vector (no second copy)
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(n));
  if (static_cast<std::uint64_t>(in.gcount()) != n)
    throw std::runtime_error(fmt::format("'{}': reading {} bytes of its payload failed", path, n));
  return bytes;
}

}  // namespace

std::vector<std::uint8_t> ReadCheckedFile(const std::string& path, const std::string& magic,
                                          std::uint32_t min_version, std::uint32_t max_version,
                                          std::uint32_t* version) {
  OpenedChecked f = OpenChecked(path, magic, min_version, max_version, version);
  std::vector<std::uint8_t> payload = ReadPayloadBytes(f.in, f.size, path);
  if (Fnv1a64(payload.data(), payload.size()) != f.sum)
    throw std::runtime_error(fmt::format("'{}' is corrupt: checksum mismatch", path));
  return payload;
}

std::vector<std::uint8_t> ReadCheckedFileStart(const std::string& path, const std::string& magic,
                                               std::uint32_t min_version, std::uint32_t max_version,
                                               std::size_t max_bytes, std::uint32_t* version) {
  OpenedChecked f = OpenChecked(path, magic, min_version, max_version, version);
  return ReadPayloadBytes(f.in, std::min<std::uint64_t>(f.size, max_bytes), path);
}

std::span<const std::uint8_t> CheckedPayload(std::span<const std::uint8_t> file, const std::string& name,
                                             const std::string& magic, std::uint32_t min_version,
                                             std::uint32_t max_version, std::uint32_t* version) {
  if (file.size() < kHeader)
    throw std::runtime_error(fmt::format("'{}' is truncated: {} bytes, shorter than the {}-byte header", name,
                                         file.size(), kHeader));
  const auto [size, sum] = CheckHeader(file.data(), name, magic, min_version, max_version, version);
  if (file.size() - kHeader != size)
    throw std::runtime_error(fmt::format("'{}' is truncated or padded: payload {} bytes, header says {}", name,
                                         file.size() - kHeader, size));
  const auto payload = file.subspan(kHeader);
  if (Fnv1a64(payload.data(), payload.size()) != sum)
    throw std::runtime_error(fmt::format("'{}' is corrupt: checksum mismatch", name));
  return payload;
}

}  // namespace fixar::util
