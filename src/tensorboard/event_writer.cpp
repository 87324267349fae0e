#include "tensorboard/event_writer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "tensorboard/crc32c.h"
#include "util/log.h"

#ifdef FIXAR_HAVE_TENSORBOARD
#include "event.pb.h"
#endif

namespace fixar::tensorboard {
namespace fs = std::filesystem;
namespace {

double WallTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void AppendLittleEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

std::string FrameRecord(const std::string& payload) {
  std::string header;
  AppendLittleEndian(header, payload.size(), 8);
  std::string frame = header;
  AppendLittleEndian(frame, MaskedCrc32c(header.data(), header.size()), 4);
  frame += payload;
  AppendLittleEndian(frame, MaskedCrc32c(payload.data(), payload.size()), 4);
  return frame;
}

bool EventWriter::Enabled() {
#ifdef FIXAR_HAVE_TENSORBOARD
  return true;
#else
  return false;
#endif
}

EventWriter::EventWriter(const std::string& dir, std::int64_t restart_step) {
#ifdef FIXAR_HAVE_TENSORBOARD
  const double now = WallTime();
  const std::string stem = fmt::format("events.out.tfevents.{}.{}.{}", static_cast<std::int64_t>(now), HostName(),
                                       static_cast<long>(getpid()));
  fs::path path = fs::path(dir) / stem;
  for (int n = 1; fs::exists(path); ++n) path = fs::path(dir) / fmt::format("{}.{}", stem, n);
  path_ = path.string();
  out_.open(path, std::ios::binary | std::ios::out);
  if (!out_)
    throw std::runtime_error(fmt::format("cannot create the TensorBoard event file '{}': {}", path_,
                                         std::error_code(errno, std::generic_category()).message()));
  Event version;
  version.set_wall_time(now);
  version.set_file_version("brain.Event:2");
  WriteRecord(version.SerializeAsString());
  if (restart_step >= 0) {
    Event start;
    start.set_wall_time(now);
    start.set_step(restart_step);
    start.mutable_session_log()->set_status(SessionLog::START);
    WriteRecord(start.SerializeAsString());
  }
#else
  (void)dir;
  (void)restart_step;
  util::LogWarn("this build has no protobuf: no TensorBoard event file (scripts/setup installs libprotobuf-dev "
                "protobuf-compiler; then rebuild)");
#endif
}

void EventWriter::Write(std::int64_t step, const std::vector<Scalar>& scalars) {
#ifdef FIXAR_HAVE_TENSORBOARD
  Event event;
  event.set_wall_time(WallTime());
  event.set_step(step);
  Summary* summary = event.mutable_summary();
  for (const auto& [tag, value] : scalars) {
    if (!std::isfinite(value)) continue;
    SummaryValue* v = summary->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  if (summary->value_size() > 0) WriteRecord(event.SerializeAsString());
#else
  (void)step;
  (void)scalars;
#endif
}

void EventWriter::WriteRecord(const std::string& payload) {
  const std::string frame = FrameRecord(payload);
  out_.write(frame.data(), static_cast<std::streamsize>(frame.size()));
  out_.flush();
  if (!out_)
    throw std::runtime_error(fmt::format("cannot write the TensorBoard event file '{}': {}", path_,
                                         std::error_code(errno, std::generic_category()).message()));
}

}  // namespace fixar::tensorboard
