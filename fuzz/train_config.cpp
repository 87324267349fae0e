// rl::ParseTrainConfig (`fixar train --config`, a run's config.toml) and rl::ApplyOverride
// (`--set section.key=value`, one per input line). Both document std::invalid_argument.
// A configuration that parses must survive its own ToToml unchanged.
#include <stdexcept>
#include <string>

#include "fuzz_input.h"
#include "rl/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fixar::fuzz::AsText(data, size);
  try {
    const fixar::rl::TrainConfig c = fixar::rl::ParseTrainConfig(text, "fuzz.toml");
    const fixar::rl::TrainConfig again = fixar::rl::ParseTrainConfig(c.ToToml(), "fuzz.toml written back");
    if (!fixar::rl::DifferingKeys(c, again).empty()) fixar::fuzz::Violated();
  } catch (const std::invalid_argument&) {
  }
  fixar::rl::TrainConfig c;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    try {
      fixar::rl::ApplyOverride(c, std::string(text.substr(at, end - at)));
    } catch (const std::invalid_argument&) {
    }
    at = end + 1;
  }
  return 0;
}
