// A TensorBoard event file: what `tensorboard --logdir runs` reads. Each record is TFRecord
// framing (u64 length, masked CRC-32C of the length, the serialized Event, masked CRC-32C
// of it, little-endian) around one Event protobuf (event.proto). Records are written whole
// and flushed, so a crash can tear only the last one, which TensorBoard's reader skips.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace fixar::tensorboard {

// One tagged scalar, e.g. {"charts/episodic_return", 1234.5}.
using Scalar = std::pair<std::string, double>;

class EventWriter {
 public:
  // Opens a new file DIR/events.out.tfevents.<unix seconds>.<host>.<pid>[.n] (never an
  // existing one) and writes the file-version record. When `restart_step` >= 0 (a resumed
  // run) a SessionLog START at that step follows: TensorBoard then drops what earlier files
  // of the run hold at steps >= restart_step, which the resumed run writes again.
  // Throws std::runtime_error naming the file when it cannot be created. Built without
  // protobuf, the writer creates nothing and logs once that event files are off.
  explicit EventWriter(const std::string& dir, std::int64_t restart_step = -1);

  // One Event at `step` holding the scalars whose values are finite (NaN means "no value
  // yet", as the empty cells of progress.csv). Throws std::runtime_error when the write fails.
  void Write(std::int64_t step, const std::vector<Scalar>& scalars);

  const std::string& path() const { return path_; }  // empty when event files are off
  static bool Enabled();                              // built with protobuf

 private:
  void WriteRecord(const std::string& payload);

  std::string path_;
  std::ofstream out_;
};

// One TFRecord frame around `payload` (the framing alone, for tests and readers).
std::string FrameRecord(const std::string& payload);

}  // namespace fixar::tensorboard
