// Measurements of the kernel operations the simulator's cost model charges, done in this process
// on a private registered region (no faults involved): UFFDIO_COPY per call and per page,
// UFFDIO_ZEROPAGE, THP madvise, and the copy-on-write fault of a forked child.
#include "costs.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/uffd-compat.h"
#include "../common/uffd-open.h"
#include "monitor.h"

namespace restorelab {

namespace {

struct Region {
  uint8_t* base = nullptr;
  size_t bytes = 0;
  int uffd = -1;
  ~Region() {
    if (base) munmap(base, bytes);
    if (uffd >= 0) ::close(uffd);
  }
};

void registerRegion(Region& r, size_t bytes) {
  r.bytes = bytes;
  void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  r.base = static_cast<uint8_t*>(m);
  madvise(r.base, bytes, MADV_NOHUGEPAGE);
  struct rl_uffd_attempt at;
  r.uffd = rl_uffd_open(O_CLOEXEC | O_NONBLOCK, &at);
  if (r.uffd < 0) throw std::runtime_error(std::string("userfaultfd: ") + std::strerror(at.syscall_errno));
  if (rl_uffd_api(r.uffd, 0, nullptr, nullptr) != 0) throw std::runtime_error(std::string("UFFDIO_API: ") + std::strerror(errno));
  struct uffdio_register reg;
  std::memset(&reg, 0, sizeof reg);
  reg.range.start = reinterpret_cast<uint64_t>(r.base);
  reg.range.len = bytes;
  reg.mode = UFFDIO_REGISTER_MODE_MISSING;
  if (ioctl(r.uffd, UFFDIO_REGISTER, &reg) != 0) throw std::runtime_error(std::string("UFFDIO_REGISTER: ") + std::strerror(errno));
}

// The fastest of several rounds: on a shared machine the best round is the closest to the cost
// itself (preemption only ever adds time).
double best(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }

// ns per call of UFFDIO_COPY moving `pages` pages, over `calls` calls into a fresh region.
double copyCall(uint64_t pages, int calls, const uint8_t* src) {
  const size_t ps = 4096;
  Region reg;
  registerRegion(reg, pages * ps * calls);
  double t0 = Monitor::now();
  for (int i = 0; i < calls; i++) {
    struct uffdio_copy c;
    c.dst = reinterpret_cast<uint64_t>(reg.base) + i * pages * ps;
    c.src = reinterpret_cast<uint64_t>(src);
    c.len = pages * ps;
    c.mode = UFFDIO_COPY_MODE_DONTWAKE;
    c.copy = 0;
    if (ioctl(reg.uffd, UFFDIO_COPY, &c) != 0) throw std::runtime_error(std::string("UFFDIO_COPY: ") + std::strerror(errno));
  }
  return (Monitor::now() - t0) / calls;
}

// ns per page of a child's first write to each of `pages` pages its parent populated before fork.
double cowWrite(uint64_t pages) {
  const size_t ps = 4096, bytes = pages * ps;
  void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  uint8_t* base = static_cast<uint8_t*>(m);
  madvise(base, bytes, MADV_NOHUGEPAGE);
  for (size_t i = 0; i < bytes; i += ps) base[i] = 1;
  int fds[2];
  if (pipe(fds) != 0) {
    munmap(m, bytes);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t child = fork();
  if (child == 0) {
    // only async-signal-safe calls from here: this process has one thread of many
    const double t0 = Monitor::now();
    for (size_t i = 0; i < bytes; i += ps) base[i] = 2;
    const double ns = (Monitor::now() - t0) / static_cast<double>(pages);
    (void)!::write(fds[1], &ns, sizeof ns);
    _exit(0);
  }
  ::close(fds[1]);
  double ns = -1;
  const bool got = child > 0 && ::read(fds[0], &ns, sizeof ns) == static_cast<ssize_t>(sizeof ns);
  ::close(fds[0]);
  if (child > 0) waitpid(child, nullptr, 0);
  munmap(m, bytes);
  if (!got) throw std::runtime_error(child < 0 ? std::string("fork: ") + std::strerror(errno) : "the COW measurement's child reported nothing");
  return ns;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace

Costs measureKernelCosts() {
  const size_t ps = 4096;
  const uint64_t big = 512;
  const int rounds = 9;
  std::vector<uint8_t> src(big * ps);
  for (size_t i = 0; i < src.size(); i++) src[i] = static_cast<uint8_t>(i * 131 + 7);
  std::vector<double> one, many, zp, md, cow;
  const size_t mlen = 16u << 20;
  void* m = mmap(nullptr, mlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  for (int r = 0; r < rounds; r++) {
    // interleaved, so one busy moment does not bias a single kind
    one.push_back(copyCall(1, 512, src.data()));
    many.push_back(copyCall(big, 4, src.data()));
    {
      Region reg;
      const int n = 512;
      registerRegion(reg, n * ps);
      double t0 = Monitor::now();
      for (int i = 0; i < n; i++) {
        struct uffdio_zeropage z;
        z.range.start = reinterpret_cast<uint64_t>(reg.base) + i * ps;
        z.range.len = ps;
        z.mode = UFFDIO_ZEROPAGE_MODE_DONTWAKE;
        z.zeropage = 0;
        if (ioctl(reg.uffd, UFFDIO_ZEROPAGE, &z) != 0) throw std::runtime_error(std::string("UFFDIO_ZEROPAGE: ") + std::strerror(errno));
      }
      zp.push_back((Monitor::now() - t0) / n);
    }
    const int n = 256;
    double t0 = Monitor::now();
    for (int i = 0; i < n; i++) madvise(m, mlen, (i & 1) ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
    md.push_back((Monitor::now() - t0) / n);
    cow.push_back(cowWrite(512));
  }
  munmap(m, mlen);
  Costs c;
  const double o = best(one), b = best(many);
  c.copyPageNs = std::max(0.0, (b - o) / static_cast<double>(big - 1));
  c.copyCallNs = std::max(0.0, o - c.copyPageNs);
  c.zeroPageNs = best(zp);
  c.madviseNs = best(md);
  c.cowPageNs = median(cow);
  return c;
}

}  // namespace restorelab
