// Event files read back record by record: framing checked, each Event parsed with the
// schema fixar writes (which TensorBoard's is a superset of).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rl/small_run.h"
#include "rl/trainer.h"
#include "tensorboard/crc32c.h"
#include "tensorboard/event_writer.h"

#ifdef FIXAR_HAVE_TENSORBOARD
#include "event.pb.h"

namespace fixar::tensorboard {
namespace {
namespace fs = std::filesystem;

std::uint64_t LittleEndian(const std::string& bytes, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

// Every record of an event file; fails the test on a bad checksum or a torn record.
std::vector<Event> ReadEvents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  std::vector<Event> events;
  std::size_t at = 0;
  while (at < bytes.size()) {
    EXPECT_LE(at + 12, bytes.size()) << "torn header";
    if (at + 12 > bytes.size()) break;
    const std::uint64_t length = LittleEndian(bytes, at, 8);
    EXPECT_EQ(LittleEndian(bytes, at + 8, 4), MaskedCrc32c(bytes.data() + at, 8));
    EXPECT_LE(at + 12 + length + 4, bytes.size()) << "torn record";
    if (at + 12 + length + 4 > bytes.size()) break;
    const std::string payload = bytes.substr(at + 12, length);
    EXPECT_EQ(LittleEndian(bytes, at + 12 + length, 4), MaskedCrc32c(payload.data(), payload.size()));
    Event e;
    EXPECT_TRUE(e.ParseFromString(payload));
    events.push_back(e);
    at += 12 + length + 4;
  }
  return events;
}

std::vector<fs::path> EventFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// tag → (step → value) over the summaries of `events`.
std::map<std::string, std::map<std::int64_t, float>> Scalars(const std::vector<Event>& events) {
  std::map<std::string, std::map<std::int64_t, float>> out;
  for (const Event& e : events)
    if (e.has_summary())
      for (const SummaryValue& v : e.summary().value()) {
        EXPECT_TRUE(v.has_simple_value()) << v.tag();
        out[v.tag()][e.step()] = v.simple_value();
      }
  return out;
}

TEST(EventWriter, WritesVersionRestartAndScalarsIncludingZero) {
  const fs::path dir = rl::testing::Fresh("fixar_tb_writer");
  fs::create_directories(dir);
  {
    EventWriter w(dir.string(), 40);
    w.Write(41, {{"a/zero", 0.0}, {"a/nan", NAN}, {"a/x", 1.5}});
    w.Write(42, {{"a/nan", NAN}});  // nothing finite: no record
  }
  const auto files = EventFiles(dir);
  ASSERT_EQ(files.size(), 1u);
  const auto events = ReadEvents(files[0]);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_GT(events[0].wall_time(), 1.6e9);
  EXPECT_EQ(events[1].session_log().status(), SessionLog::START);
  EXPECT_EQ(events[1].step(), 40);
  // The wire format TensorBoard reads (field numbers of its event.proto / summary.proto):
  // step = field 2 (varint 40), session_log = field 7 {status = field 1: START = 1}; a
  // scalar = Summary (field 5) of Value {tag = field 1, simple_value = field 2, fixed32}.
  const std::string start = events[1].SerializeAsString();
  EXPECT_EQ(start.substr(start.size() - 6), std::string("\x10\x28\x3a\x02\x08\x01", 6));
  EXPECT_EQ(events[2].summary().value(1).SerializeAsString(), std::string("\x0a\x03" "a/x" "\x15\x00\x00\xc0\x3f", 10));
  EXPECT_NE(events[2].SerializeAsString().find('\x2a'), std::string::npos);
  const auto scalars = Scalars(events);
  EXPECT_EQ(scalars.size(), 2u);
  EXPECT_EQ(scalars.at("a/zero").at(41), 0.0f);  // a zero is written, not dropped
  EXPECT_EQ(scalars.at("a/x").at(41), 1.5f);
  // A second writer in the same second gets its own file.
  { EventWriter again(dir.string()); }
  EXPECT_EQ(EventFiles(dir).size(), 2u);
}

TEST(EventWriter, UnwritableDirectoryFailsNamingTheFile) {
  const fs::path missing = rl::testing::Fresh("fixar_tb_missing") / "no" / "such";
  try {
    EventWriter w(missing.string());
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
}

// A short training run: the event file holds progress.csv's values under CleanRL's and
// FIXAR's tags; a resume starts a second file with a START at the checkpoint's step + 1.
TEST(EventWriter, TrainingRunWritesTheProgressAsScalars) {
  const fs::path out = rl::testing::Fresh("fixar_tb_train");
  const auto first = rl::Train(rl::testing::Small(out.string(), 800));
  const fs::path dir = first.run_dir;
  auto files = EventFiles(dir);
  ASSERT_EQ(files.size(), 1u);
  const auto scalars = Scalars(ReadEvents(files[0]));
  for (const char* tag : {"charts/episodic_return", "charts/episodic_length", "charts/SPS", "charts/IPS",
                          "losses/qf_loss", "losses/actor_loss", "eval/mean_return", "qat/quantized",
                          "layers/critic.fc1/saturation_rate", "layers/actor.fc2/activation_int_bits",
                          "layers/critic.fc3/gradient_int_bits", "time/update_ms"})
    EXPECT_TRUE(scalars.count(tag)) << tag;
  // Pendulum's episodes are 200 steps: four returns, at steps 200..800.
  EXPECT_EQ(scalars.at("charts/episodic_length").size(), 4u);
  EXPECT_EQ(scalars.at("charts/episodic_length").at(200), 200.0f);
  // The evaluation at 800 is the summary's final one; QAT switched at 500.
  EXPECT_FLOAT_EQ(scalars.at("eval/mean_return").at(800), static_cast<float>(first.final_eval_mean));
  EXPECT_EQ(scalars.at("qat/quantized").at(400), 0.0f);
  EXPECT_EQ(scalars.at("qat/quantized").at(600), 1.0f);
  EXPECT_FALSE(scalars.at("losses/qf_loss").count(200)) << "no update before the warm-up ends: no loss";

  rl::TrainOptions more = rl::testing::Small(out.string(), 1200);
  more.resume_dir = dir.string();
  rl::Train(more);
  files = EventFiles(dir);
  ASSERT_EQ(files.size(), 2u);
  const auto resumed = ReadEvents(files[1]);
  ASSERT_GE(resumed.size(), 2u);
  EXPECT_EQ(resumed[1].session_log().status(), SessionLog::START);
  EXPECT_EQ(resumed[1].step(), 801);
  EXPECT_EQ(Scalars(resumed).at("charts/episodic_return").begin()->first, 1000);
}

}  // namespace
}  // namespace fixar::tensorboard
#endif  // FIXAR_HAVE_TENSORBOARD
