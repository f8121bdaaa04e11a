// Tasks forked during a lazy restore (UFFD_EVENT_FORK): the child's uffd covers the same ranges,
// and what its parent did not have at the fork is missing in the child too. CRIU's daemon serves
// such a child from its parent's pages and pushes the rest; so do we, on the fault thread, outside
// the event log (the image has no such process, and its pages are not its parent's). The run does
// not end before every forked task has its pages or has exited.
#include <linux/userfaultfd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../common/criu-lazy-protocol.h"
#include "monitor.h"
#include "run-dir-io.h"

namespace restorelab {

namespace {
// pages a forked task gets per push, between two looks at the faults
constexpr uint64_t kForkPushPages = 256;
}  // namespace

void Monitor::onFork(ProcState& p, int uffd) {
  // held by the guardian first: if this daemon dies, the child is killed among p's descendants
  if (criuMode()) guard(RL_GUARD_FORKED, p.pid, uffd);
  auto c = std::make_unique<ProcState>();
  c->idx = static_cast<uint32_t>(forks_.size());
  c->pid = p.pid;
  c->osPid = -1;
  c->uffd = uffd;
  c->forked = true;
  c->totalPages = p.totalPages;
  c->flags = p.flags;
  c->blob = p.blob;
  c->vmas = p.vmas;
  c->cacheSame = p.cacheSame;  // its parent's memory, in the memfds its parent maps; no staging area (move copies)
  c->byAddr = p.byAddr;
  c->uffdFeatures = p.uffdFeatures;
  c->inFlight.resize(p.totalPages);  // cleared by its own munmap and MADV_DONTNEED events
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    // a page copied into p after the fork may be marked present already: the child then faults on
    // it, and its fault copies it (never trusts this snapshot to say a page is there)
    c->present = p.present;
    c->registered = p.registered;
    stats_.forkedTasks++;
    forksLeft_++;
  }
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.u64 = kFaultTagForked | c->idx;
  if (epoll_ctl(faultEpoll_, EPOLL_CTL_ADD, uffd, &ev) != 0) fail(errnoText("epoll_ctl on a forked task's userfaultfd", errno));
  forks_.push_back(std::move(c));
}

void Monitor::handleForkedFault(ProcState& c, const struct uffd_msg& m) {
  const uint64_t addr = m.arg.pagefault.address & ~(pageSize_ - 1);
  const int vi = faultVma(c, addr);
  if (vi < 0) return;
  const VmaState& v = c.vmas[vi];
  const uint64_t page = v.firstPage + (addr - v.addr) / pageSize_;
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    stats_.forkedFaults++;
  }
  int e = 0;
  if ((c.flags[page] & RL_PAGE_CONTENT) && c.registered.get(page)) {
    const int64_t calls = copyRange(c, v, page, 1, true, Channel::Urgent, [&](uint64_t, uint64_t) {}, [&](uint64_t) {});
    if (calls < 0) e = static_cast<int>(-calls);
  } else {
    e = zeroPage(c.uffd, addr);
  }
  if (e == EAGAIN) {
    // the child's own event waits to be read: the fault is copied again after it
    RetryFault rf{c.idx, 0, 0, {}};
    std::memcpy(rf.msg, &m, sizeof m);
    forkRetry_.push_back(rf);
    return;
  }
  c.present.set(page);
  if (e == EEXIST) wakeRange(c.uffd, addr, pageSize_);
  else if (e == ESRCH) endForked(c);
  else if (e != 0) fail(whose(c) + ": UFFDIO_COPY of page " + std::to_string(page) + " failed: " + std::strerror(e));
}

bool Monitor::pushForked() {
  bool more = false;
  for (auto& cp : forks_) {
    ProcState& c = *cp;
    if (c.done) continue;
    uint64_t q = c.missingFrom;
    while (q < c.totalPages && !((c.flags[q] & RL_PAGE_CONTENT) && c.registered.get(q) && !c.present.get(q))) q++;
    c.missingFrom = q;
    if (q == c.totalPages) {
      endForked(c);
      continue;
    }
    const int vi = vmaOfPage(c, q);
    const VmaState& v = c.vmas[vi];
    uint64_t n = 1;
    while (n < kForkPushPages && q + n < v.firstPage + v.pages && (c.flags[q + n] & RL_PAGE_CONTENT) && c.registered.get(q + n) &&
           !c.present.get(q + n))
      n++;
    uint64_t pushed = 0;
    const int64_t calls = copyRange(
        c, v, q, n, true, Channel::Background,
        [&](uint64_t a, uint64_t k) {
          c.present.setRange(a, k);
          pushed += k;
        },
        [&](uint64_t a) { c.present.set(a); });
    {
      std::lock_guard<HybridMutex> g(stateMu_);
      stats_.forkedPushed += pushed;
    }
    if (calls == -ESRCH) endForked(c);
    else if (calls < 0 && calls != -EAGAIN) fail(whose(c) + ": UFFDIO_COPY failed: " + std::strerror(static_cast<int>(-calls)));
    else more = true;
  }
  return more;
}

void Monitor::endForked(ProcState& c) {
  if (c.done) return;
  // its uffd stays open and read: the guardian holds it too, and its events (a munmap, a fork)
  // wait for a reader
  c.done = true;
  std::vector<Record> out;
  std::lock_guard<HybridMutex> g(stateMu_);
  if (--forksLeft_ == 0 && doneCount_ == procs_.size() && !finished_) endRun(out);
  emitBatch(out.data(), out.size());
}

}  // namespace restorelab
