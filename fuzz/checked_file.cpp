// util::CheckedPayload: the header of every checked binary file (checkpoint.bin, CNN model
// checkpoints): magic, version, payload size, FNV-1a checksum. Documents std::runtime_error.
// The payload parsers behind it are fuzzed on their own (rl_checkpoint, cnn_checkpoint),
// since random bytes almost never carry a matching checksum.
#include <stdexcept>

#include "fuzz_input.h"
#include "util/binary_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    std::uint32_t version = 0;
    const auto payload = fixar::util::CheckedPayload({data, size}, "fuzz.bin", "FIXARCKP", 1, 4, &version);
    if (payload.data() + payload.size() != data + size || version < 1 || version > 4) fixar::fuzz::Violated();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
