// The run directory's files, its sockets and /proc, for the monitor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace restorelab {

std::string errnoText(const std::string& what, int e);
// The whole file mapped shared and read-only; nullptr for an empty one. Throws.
const uint8_t* mapFile(const std::string& path, size_t* bytes);
// A non-blocking, close-on-exec unix socket of `type` listening at path (an old file there is
// removed). Throws; `where` names the directory in the error for a path too long for sun_path.
int listenUnix(const std::string& path, int type, int backlog, const std::string& where);
// False when the file cannot be opened.
bool readWhole(const std::string& path, std::vector<uint8_t>* out);

struct MemorySample {
  double rss = 0, pss = 0, priv = 0;
};
// Rss, Pss and private bytes of a process from /proc/PID/smaps_rollup (zeros when it is gone).
MemorySample smapsRollup(int osPid);

}  // namespace restorelab
