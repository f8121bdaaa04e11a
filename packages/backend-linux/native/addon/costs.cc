// Measurements of the kernel operations the simulator's cost model charges, done in this process
// on a private registered region (no faults involved): UFFDIO_COPY per call and per page,
// UFFDIO_ZEROPAGE, THP madvise, the copy-on-write fault of a forked child, and the copy engines'
// steps (page-cache write and UFFDIO_CONTINUE; staging write and UFFDIO_MOVE by a mover thread).
#include "costs.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
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
  int memfd = -1;  // continue: the memfd the region maps privately
  ~Region() {
    if (base) munmap(base, bytes);
    if (uffd >= 0) ::close(uffd);
    if (memfd >= 0) ::close(memfd);
  }
};

std::runtime_error sysError(const char* what) { return std::runtime_error(std::string(what) + ": " + std::strerror(errno)); }

// A fresh region registered for missing faults: anonymous, or with `features` asking for
// MINOR_SHMEM a private mapping of a memfd also registered for minor faults. False when this
// kernel's userfaultfd lacks `features`.
bool registerRegion(Region& r, size_t bytes, uint64_t features = 0) {
  r.bytes = bytes;
  const bool cache = features & UFFD_FEATURE_MINOR_SHMEM;
  if (cache) {
    r.memfd = memfd_create("restorelab-costs", MFD_CLOEXEC);
    if (r.memfd < 0 || ftruncate(r.memfd, static_cast<off_t>(bytes)) != 0) throw sysError("memfd");
  }
  void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE | (cache ? 0 : MAP_ANONYMOUS), r.memfd, 0);
  if (m == MAP_FAILED) throw sysError("mmap");
  r.base = static_cast<uint8_t*>(m);
  madvise(r.base, bytes, MADV_NOHUGEPAGE);
  struct rl_uffd_attempt at;
  uint64_t supported = 0;
  if (features && (rl_uffd_supported_features(&supported, &at) < 0 || (supported & features) != features)) return false;
  r.uffd = rl_uffd_open(O_CLOEXEC | O_NONBLOCK, &at);
  if (r.uffd < 0) throw std::runtime_error(std::string("userfaultfd: ") + std::strerror(at.syscall_errno));
  if (rl_uffd_api(r.uffd, features, nullptr, nullptr) != 0) throw sysError("UFFDIO_API");
  struct uffdio_register reg;
  std::memset(&reg, 0, sizeof reg);
  reg.range.start = reinterpret_cast<uint64_t>(r.base);
  reg.range.len = bytes;
  reg.mode = UFFDIO_REGISTER_MODE_MISSING | (cache ? UFFDIO_REGISTER_MODE_MINOR : 0);
  if (ioctl(r.uffd, UFFDIO_REGISTER, &reg) != 0) throw sysError("UFFDIO_REGISTER");
  return true;
}

// continue: `pages` pages written into the memfd with one pwrite, then placed with `calls` calls of
// UFFDIO_CONTINUE (one page, or all in one); false when the kernel cannot.
bool continueRound(uint64_t pages, const uint8_t* src, double* fillNs, double* oneNs, double* bigNs) {
  const size_t ps = 4096;
  Region reg;
  if (!registerRegion(reg, 2 * pages * ps, UFFD_FEATURE_MINOR_SHMEM)) return false;
  double t0 = Monitor::now();
  for (uint64_t i = 0; i < 2 * pages; i += pages)
    if (::pwrite(reg.memfd, src, pages * ps, static_cast<off_t>(i * ps)) != static_cast<ssize_t>(pages * ps)) throw sysError("pwrite");
  *fillNs = (Monitor::now() - t0) / static_cast<double>(2 * pages);
  auto place = [&](uint64_t at, uint64_t n) {
    struct uffdio_continue c = {{reinterpret_cast<uint64_t>(reg.base) + at * ps, n * ps}, UFFDIO_CONTINUE_MODE_DONTWAKE, 0};
    if (ioctl(reg.uffd, UFFDIO_CONTINUE, &c) != 0) throw sysError("UFFDIO_CONTINUE");
  };
  t0 = Monitor::now();
  for (uint64_t i = 0; i < pages; i++) place(i, 1);
  *oneNs = (Monitor::now() - t0) / static_cast<double>(pages);
  t0 = Monitor::now();
  place(pages, pages);
  *bigNs = Monitor::now() - t0;
  return true;
}

// move: `pages` pages written into a staging area with process_vm_writev, then moved in place by a
// mover thread (as the runner's), asked over a socket: one page a request, or all in one.
bool moveRound(uint64_t pages, const uint8_t* src, double* stageNs, double* oneNs, double* bigNs) {
  const size_t ps = 4096, bytes = 2 * pages * ps;
  Region reg;
  if (!registerRegion(reg, bytes, UFFD_FEATURE_MOVE)) return false;
  void* s = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (s == MAP_FAILED) throw sysError("mmap");
  uint8_t* stage = static_cast<uint8_t*>(s);
  madvise(stage, bytes, MADV_NOHUGEPAGE);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    munmap(s, bytes);
    throw sysError("socketpair");
  }
  std::thread mover([&] {
    struct uffdio_move m;
    while (::recv(sv[0], &m, sizeof m, 0) == static_cast<ssize_t>(sizeof m)) {
      int err = ioctl(reg.uffd, UFFDIO_MOVE, &m) == 0 ? 0 : errno;
      (void)!::send(sv[0], &err, sizeof err, MSG_NOSIGNAL);
    }
  });
  int err = 0;
  auto move = [&](uint64_t at, uint64_t n) {
    struct uffdio_move m = {reinterpret_cast<uint64_t>(reg.base) + at * ps, reinterpret_cast<uint64_t>(stage) + at * ps, n * ps,
                            UFFDIO_MOVE_MODE_DONTWAKE, 0};
    if (::send(sv[1], &m, sizeof m, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof m) || ::recv(sv[1], &err, sizeof err, 0) != sizeof err) err = EPIPE;
  };
  double t0 = Monitor::now();
  for (uint64_t i = 0; i < 2 * pages && err == 0; i += pages) {
    struct iovec local = {const_cast<uint8_t*>(src), pages * ps};
    struct iovec remote = {stage + i * ps, pages * ps};
    if (::process_vm_writev(getpid(), &local, 1, &remote, 1, 0) != static_cast<ssize_t>(pages * ps)) err = errno;
  }
  *stageNs = (Monitor::now() - t0) / static_cast<double>(2 * pages);
  // the median request: a thread's wake-up now and then takes far longer on a busy machine
  std::vector<double> each;
  for (uint64_t i = 0; i < pages && err == 0; i++) {
    t0 = Monitor::now();
    move(i, 1);
    each.push_back(Monitor::now() - t0);
  }
  std::sort(each.begin(), each.end());
  *oneNs = each.empty() ? 0 : each[each.size() / 2];
  t0 = Monitor::now();
  if (err == 0) move(pages, pages);
  *bigNs = Monitor::now() - t0;
  ::shutdown(sv[1], SHUT_RDWR);
  mover.join();
  ::close(sv[0]);
  ::close(sv[1]);
  munmap(s, bytes);
  if (err != 0) throw std::runtime_error(std::string("UFFDIO_MOVE: ") + std::strerror(err));
  return true;
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
  std::vector<double> one, many, zp, md, cow, fill, contOne, contBig, stage, moveOne, moveBig;
  bool canContinue = true, canMove = true;
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
    double f, o1, ob;
    if (canContinue && (canContinue = continueRound(big, src.data(), &f, &o1, &ob))) {
      fill.push_back(f);
      contOne.push_back(o1);
      contBig.push_back(ob);
    }
    if (canMove && (canMove = moveRound(big, src.data(), &f, &o1, &ob))) {
      stage.push_back(f);
      moveOne.push_back(o1);
      moveBig.push_back(ob);
    }
  }
  munmap(m, mlen);
  Costs c;
  const double o = best(one), b = best(many);
  c.copyPageNs = std::max(0.0, (b - o) / static_cast<double>(big - 1));
  c.copyCallNs = std::max(0.0, o - c.copyPageNs);
  c.zeroPageNs = best(zp);
  c.madviseNs = best(md);
  c.cowPageNs = median(cow);
  // a call of one page and a call of `big`: the call's fixed cost and the per-page slope
  auto split = [&](const std::vector<double>& ones, const std::vector<double>& bigs, double* callNs, double* pageNs) {
    const double o1 = best(ones), ob = best(bigs);
    *pageNs = std::max(0.0, (ob - o1) / static_cast<double>(big - 1));
    *callNs = std::max(0.0, o1 - *pageNs);
  };
  if (canContinue) {
    c.cacheFillPageNs = best(fill);
    split(contOne, contBig, &c.continueCallNs, &c.continuePageNs);
  }
  if (canMove) {
    c.stagePageNs = best(stage);
    split(moveOne, moveBig, &c.moveCallNs, &c.movePageNs);
  }
  return c;
}

}  // namespace restorelab
