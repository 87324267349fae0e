// rl::LoadCheckpointPayload: checkpoint.bin after its header (`fixar train --resume`,
// `fixar eval`, `fixar export`), read into the agent and replay buffer of a small Pendulum
// run: the first byte picks its precision (even: fixar, odd: float32), the rest is the
// payload (fuzz/make_seeds.cpp writes such runs' checkpoints). Documents std::runtime_error
// and std::invalid_argument. A checkpoint that loads is then used as a resumed run uses
// it: the actor acts and the replay buffer samples a batch.
#include <stdexcept>
#include <vector>

#include "fuzz_input.h"
#include "rl/trainer.h"
#include "seed_runs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const fixar::rl::TrainConfig c = fixar::fuzz::SeedRunConfig(data[0] & 1 ? "float32" : "fixar");
  try {
    fixar::rl::LoadedRun run = fixar::rl::LoadCheckpointPayload(c, {data + 1, size - 1},
                                                                fixar::rl::CheckpointVersion(), "fuzz.bin", true);
    std::vector<double> obs(3, 0.5), action(1);
    run.agent->Act(obs, action);
    if (run.buffer->size() > 0) {
      fixar::rl::Batch batch;
      run.buffer->Sample(8, 1, 0, batch);
    }
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
