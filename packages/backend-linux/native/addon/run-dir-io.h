// Reading the run directory's files and /proc, for the monitor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace restorelab {

std::string errnoText(const std::string& what, int e);
// The whole file mapped shared and read-only; nullptr for an empty one. Throws.
const uint8_t* mapFile(const std::string& path, size_t* bytes);
// False when the file cannot be opened.
bool readWhole(const std::string& path, std::vector<uint8_t>* out);

struct MemorySample {
  double rss = 0, pss = 0, priv = 0;
};
// Rss, Pss and private bytes of a process from /proc/PID/smaps_rollup (zeros when it is gone).
MemorySample smapsRollup(int osPid);

}  // namespace restorelab
