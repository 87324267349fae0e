// Little binary serialization for checkpoints: typed values and vectors appended to a
// byte buffer, read back with bounds checks. A file is written atomically (temp file +
// rename) with a header: magic, format version, payload size and an FNV-1a checksum,
// so a truncated, corrupt or foreign file fails with a clear error instead of loading
// garbage.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace fixar::util {

class ByteWriter {
 public:
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  template <typename T>
  void PutVector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Put<std::uint64_t>(v.size());
    const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
    bytes_.insert(bytes_.end(), p, p + v.size() * sizeof(T));
  }
  // PutVector's layout without the copy: the elements are referenced, so `v` must stay
  // alive and unchanged until the writer is written out (WriteCheckedFile) or flattened.
  // For large arrays (a replay buffer) whose copy would double a checkpoint's memory.
  template <typename T>
  void PutVectorView(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Put<std::uint64_t>(v.size());
    PutBytesView({reinterpret_cast<const std::uint8_t*>(v.data()), v.size() * sizeof(T)});
  }
  // Raw bytes by reference (no length in front), with the same lifetime rule.
  void PutBytesView(std::span<const std::uint8_t> b) { views_.push_back({bytes_.size(), b}); }
  void PutString(const std::string& s) { PutVector(std::vector<char>(s.begin(), s.end())); }

  // The payload as one contiguous piece. Only without views (else std::logic_error).
  const std::vector<std::uint8_t>& bytes() const;
  // The payload in order, as spans into the writer and the viewed arrays.
  std::vector<std::span<const std::uint8_t>> pieces() const;
  std::size_t size() const;
  // A contiguous copy of the payload (views included).
  std::vector<std::uint8_t> Flatten() const;

 private:
  struct View {
    std::size_t at;  // offset in bytes_ where the viewed bytes belong
    std::span<const std::uint8_t> data;
  };
  std::vector<std::uint8_t> bytes_;
  std::vector<View> views_;
};

class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size, std::string what)
      : data_(data), size_(size), what_(std::move(what)) {}
  template <typename T>
  T Get() {
    static_assert(std::is_trivially_copyable_v<T>);
    Need(sizeof(T));
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <typename T>
  std::vector<T> GetVector(std::size_t expected_size = SIZE_MAX) {
    const auto n = Get<std::uint64_t>();
    if (expected_size != SIZE_MAX && n != expected_size)
      throw std::runtime_error(what_ + ": a stored array has " + std::to_string(n) + " elements, expected " +
                               std::to_string(expected_size) + " (the checkpoint is for a different network shape)");
    // n · sizeof(T) can wrap around for a corrupt count: compare counts, not byte sizes.
    if (n > (size_ - pos_) / sizeof(T)) Need(n > SIZE_MAX / sizeof(T) ? SIZE_MAX : n * sizeof(T));
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), data_ + pos_, n * sizeof(T));  // no null pointer into memcpy
    pos_ += n * sizeof(T);
    return v;
  }
  std::string GetString() {
    auto v = GetVector<char>();
    return std::string(v.begin(), v.end());
  }
  bool at_end() const { return pos_ == size_; }

 private:
  void Need(std::size_t n) const {
    if (n > size_ - pos_)
      throw std::runtime_error(what_ + ": unexpected end of data (need " + std::to_string(n) + " bytes at offset " +
                               std::to_string(pos_) + " of " + std::to_string(size_) + ")");
  }
  const std::uint8_t* data_;
  std::size_t size_, pos_ = 0;
  std::string what_;
};

// FNV-1a over data, continuing from `h` (chain calls to hash pieces as one).
constexpr std::uint64_t kFnv1a64Basis = 0xcbf29ce484222325ull;  // the hash of no bytes
std::uint64_t Fnv1a64(const std::uint8_t* data, std::size_t size, std::uint64_t h = kFnv1a64Basis);

// Writes header + payload to `path` atomically (path.tmp, fsync, rename).
void WriteCheckedFile(const std::string& path, const std::string& magic, std::uint32_t version,
                      const std::vector<std::uint8_t>& payload);
// The same for a writer's payload, written piece by piece (views are not copied).
void WriteCheckedFile(const std::string& path, const std::string& magic, std::uint32_t version,
                      const ByteWriter& payload);
// Verifies the bytes of a whole checked file held in memory (header, then payload) and
// returns its payload: a view into `file`, no copy. `name` names it in errors; the
// checks and messages are ReadCheckedFile's. The found version goes to *version.
std::span<const std::uint8_t> CheckedPayload(std::span<const std::uint8_t> file, const std::string& name,
                                             const std::string& magic, std::uint32_t min_version,
                                             std::uint32_t max_version, std::uint32_t* version = nullptr);
// Reads and verifies a file written by WriteCheckedFile; throws std::runtime_error naming
// the file and the problem (missing, wrong magic, version mismatch, truncated, checksum).
std::vector<std::uint8_t> ReadCheckedFile(const std::string& path, const std::string& magic, std::uint32_t version);
// The same, accepting versions min_version..max_version; the one found goes to *version.
std::vector<std::uint8_t> ReadCheckedFile(const std::string& path, const std::string& magic,
                                          std::uint32_t min_version, std::uint32_t max_version,
                                          std::uint32_t* version);
// The first max_bytes of a checked file's payload (all of it when it is shorter), for a
// field near its start without reading a large file: the header is checked as above
// (magic, version, size), the checksum is not (it covers the whole payload).
std::vector<std::uint8_t> ReadCheckedFileStart(const std::string& path, const std::string& magic,
                                               std::uint32_t min_version, std::uint32_t max_version,
                                               std::size_t max_bytes, std::uint32_t* version = nullptr);

}  // namespace fixar::util
