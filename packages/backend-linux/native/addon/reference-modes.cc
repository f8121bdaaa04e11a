// The bench reference modes of the monitor (`bench overhead`): the least a fault handler and an eager
// restore can do on this kernel, to measure the backend against in the same process.
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "../common/uffd-compat.h"
#include "event-codes.h"
#include "monitor.h"

namespace restorelab {

using namespace codes;

// The benchmark's reference handler: poll, read one message, copy one page. Nothing else.
void Monitor::referenceFaultLoop() {
  for (;;) {
    {
      std::lock_guard<HybridMutex> g(stateMu_);
      if (copierReady_) break;
    }
    struct pollfd w = {faultWake_, POLLIN, 0};
    poll(&w, 1, -1);
    uint64_t v;
    (void)!::read(faultWake_, &v, sizeof v);
    if (stopping_.load()) return;
  }
  std::vector<struct pollfd> fds;
  for (auto& p : procs_) fds.push_back({p->uffd, POLLIN, 0});
  fds.push_back({faultWake_, POLLIN, 0});
  while (!stopping_.load(std::memory_order_relaxed)) {
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds.back().revents) {
      uint64_t v;
      (void)!::read(faultWake_, &v, sizeof v);
      continue;
    }
    for (size_t i = 0; i + 1 < fds.size(); i++) {
      if (!(fds[i].revents & POLLIN)) continue;
      ProcState& p = *procs_[i];
      p.faultBusy.fetch_add(1, std::memory_order_acq_rel);
      struct uffd_msg m;
      if (::read(p.uffd, &m, sizeof m) == static_cast<ssize_t>(sizeof m) && m.event == UFFD_EVENT_PAGEFAULT) {
        const uint64_t addr = m.arg.pagefault.address & ~(pageSize_ - 1);
        const int vi = vmaOfAddr(p, addr);
        if (vi >= 0) {
          const VmaState& v = p.vmas[vi];
          struct uffdio_copy c;
          c.dst = addr;
          c.src = reinterpret_cast<uint64_t>(p.blob + (v.firstPage + (addr - v.addr) / pageSize_) * pageSize_);
          c.len = pageSize_;
          c.mode = 0;
          c.copy = 0;
          if (ioctl(p.uffd, UFFDIO_COPY, &c) != 0) {
            struct uffdio_range r = {addr, pageSize_};
            (void)ioctl(p.uffd, UFFDIO_WAKE, &r);
          }
          source_.consumed(pageSize_);
          refFaults_.fetch_add(1, std::memory_order_relaxed);
        }
      }
      p.faultBusy.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
}

// The floor of a full restore: every page in RL_MAX_COPY_PAGES-page UFFDIO_COPY calls, nothing else.
void Monitor::referenceEager() {
  double t0 = now();
  uint64_t pages = 0;
  for (auto& p : procs_) {
    for (const VmaState& v : p->vmas) {
      for (uint64_t k = 0; k < v.pages; k += kMaxPagesPerCopy) {
        uint64_t n = std::min(kMaxPagesPerCopy, v.pages - k);
        struct uffdio_copy c;
        c.dst = v.addr + k * pageSize_;
        c.src = reinterpret_cast<uint64_t>(p->blob + (v.firstPage + k) * pageSize_);
        c.len = n * pageSize_;
        c.mode = UFFDIO_COPY_MODE_DONTWAKE;
        c.copy = 0;
        if (ioctl(p->uffd, UFFDIO_COPY, &c) != 0) {
          fail(std::string("reference UFFDIO_COPY: ") + std::strerror(errno));
          return;
        }
        source_.consumed(c.len);
        pages += n;
      }
    }
  }
  std::lock_guard<HybridMutex> g(stateMu_);
  stats_.precopyNs += now() - t0;
  stats_.precopyPages += pages;
}

}  // namespace restorelab
