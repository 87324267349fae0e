// aap::ParseAccelConfig (`fixar sim --accel-config`, configs/accel/*.toml): the TOML key
// binder of the accelerator model; documents std::invalid_argument.
#include <stdexcept>
#include <string>

#include "accel/aap/config.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fixar::aap::ParseAccelConfig(std::string(fixar::fuzz::AsText(data, size)), "fuzz.toml");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
