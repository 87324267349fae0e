#include "util/binary_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace fixar::util {

std::uint64_t Fnv1a64(const std::uint8_t* data, std::size_t size) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

namespace {
constexpr std::size_t kMagicBytes = 8;
std::string PadMagic(const std::string& magic) {
  std::string m = magic.substr(0, kMagicBytes);
  m.resize(kMagicBytes, '\0');
  return m;
}
}  // namespace

void WriteCheckedFile(const std::string& path, const std::string& magic, std::uint32_t version,
                      const std::vector<std::uint8_t>& payload) {
  ByteWriter header;
  const std::string m = PadMagic(magic);
  for (char c : m) header.Put(c);
  header.Put(version);
  header.Put<std::uint64_t>(payload.size());
  header.Put(Fnv1a64(payload.data(), payload.size()));
  const std::string tmp = path + ".tmp";
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw std::runtime_error(fmt::format("cannot write '{}': {}", tmp, std::strerror(errno)));
    const bool ok = std::fwrite(header.bytes().data(), 1, header.bytes().size(), f) == header.bytes().size() &&
                    std::fwrite(payload.data(), 1, payload.size(), f) == payload.size() && std::fflush(f) == 0 &&
                    ::fsync(::fileno(f)) == 0;
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

std::vector<std::uint8_t> ReadCheckedFile(const std::string& path, const std::string& magic,
                                          std::uint32_t min_version, std::uint32_t max_version,
                                          std::uint32_t* version) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot open '{}'", path));
  std::vector<std::uint8_t> all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr std::size_t kHeader = kMagicBytes + 4 + 8 + 8;
  if (all.size() < kHeader)
    throw std::runtime_error(fmt::format("'{}' is truncated: {} bytes, shorter than the {}-byte header", path,
                                         all.size(), kHeader));
  ByteReader r(all.data(), all.size(), path);
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
  const auto size = r.Get<std::uint64_t>();
  const auto sum = r.Get<std::uint64_t>();
  if (all.size() - kHeader != size)
    throw std::runtime_error(fmt::format("'{}' is truncated or padded: payload {} bytes, header says {}", path,
                                         all.size() - kHeader, size));
  std::vector<std::uint8_t> payload(all.begin() + kHeader, all.end());
  if (Fnv1a64(payload.data(), payload.size()) != sum)
    throw std::runtime_error(fmt::format("'{}' is corrupt: checksum mismatch", path));
  return payload;
}

}  // namespace fixar::util
