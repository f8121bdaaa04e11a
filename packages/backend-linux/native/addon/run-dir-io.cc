// Reading the run directory's files and /proc, for the monitor.
#include "run-dir-io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace restorelab {

int listenUnix(const std::string& path, int type, int backlog, const std::string& where) {
  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw std::runtime_error(where + " path too long for a unix socket: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw std::runtime_error(errnoText("socket", errno));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, backlog) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error(errnoText("listen on " + path, e));
  }
  return fd;
}

std::string errnoText(const std::string& what, int e) { return what + ": " + std::strerror(e); }

const uint8_t* mapFile(const std::string& path, size_t* bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(errnoText("cannot open " + path, errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error(errnoText("cannot stat " + path, e));
  }
  *bytes = static_cast<size_t>(st.st_size);
  if (st.st_size == 0) {
    ::close(fd);
    return nullptr;
  }
  void* m = mmap(nullptr, *bytes, PROT_READ, MAP_SHARED, fd, 0);
  int e = errno;
  ::close(fd);
  if (m == MAP_FAILED) throw std::runtime_error(errnoText("cannot map " + path, e));
  return static_cast<const uint8_t*>(m);
}

bool readWhole(const std::string& path, std::vector<uint8_t>* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->insert(out->end(), buf, buf + n);
  }
  ::close(fd);
  return true;
}

MemorySample smapsRollup(int osPid) {
  MemorySample s;
  std::vector<uint8_t> text;
  if (!readWhole("/proc/" + std::to_string(osPid) + "/smaps_rollup", &text)) return s;
  text.push_back(0);
  const char* line = reinterpret_cast<const char*>(text.data());
  while (*line) {
    unsigned long long kb = 0;
    if (std::sscanf(line, "Rss: %llu kB", &kb) == 1) s.rss = kb * 1024.0;
    else if (std::sscanf(line, "Pss: %llu kB", &kb) == 1) s.pss = kb * 1024.0;
    else if (std::sscanf(line, "Private_Clean: %llu kB", &kb) == 1) s.priv += kb * 1024.0;
    else if (std::sscanf(line, "Private_Dirty: %llu kB", &kb) == 1) s.priv += kb * 1024.0;
    else if (std::sscanf(line, "Private_Hugetlb: %llu kB", &kb) == 1) {
      // the kernel's Rss and Pss leave hugetlb pages out; a restore's memory is them too
      s.rss += kb * 1024.0;
      s.pss += kb * 1024.0;
      s.priv += kb * 1024.0;
    }
    const char* nl = std::strchr(line, '\n');
    if (!nl) break;
    line = nl + 1;
  }
  return s;
}


}  // namespace restorelab
