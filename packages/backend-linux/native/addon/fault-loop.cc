// The demand path: one native thread reads every process's userfaultfd and serves each fault at
// once from the mapped pages file, with the fault-time window of its VMA, in one UFFDIO_COPY.
// JavaScript only hears about it afterwards, through the event ring.
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "../common/uffd-compat.h"
#include "event-codes.h"
#include "monitor.h"

namespace restorelab {

using namespace codes;

namespace {
constexpr int kMsgBatch = 32;
}  // namespace

int Monitor::zeroPage(int uffd, uint64_t addr) const {
  struct uffdio_zeropage z;
  z.range.start = addr;
  z.range.len = pageSize_;
  z.mode = 0;
  z.zeropage = 0;
  return ioctl(uffd, UFFDIO_ZEROPAGE, &z) == 0 ? 0 : errno;
}

void Monitor::wakeRange(int uffd, uint64_t addr, uint64_t len) {
  struct uffdio_range r = {addr, len};
  (void)ioctl(uffd, UFFDIO_WAKE, &r);
}

int64_t Monitor::copyRange(ProcState& p, const VmaState& v, uint64_t page, uint64_t n, bool wake, Channel ch,
                           const std::function<void(uint64_t, uint64_t)>& copied, const std::function<void(uint64_t)>& existed) {
  if (!remote_.active()) {
    const int64_t calls = copyFrom(p, v, page, page + n, p.blob + page * pageSize_, wake, copied, existed);
    source_.consumed(n * pageSize_);
    return calls;
  }
  static thread_local std::vector<uint8_t> buf;
  const uint64_t most = RL_PS_MAX_REQUEST_PAGES;
  buf.resize(most * pageSize_);
  const uint64_t blobOffset = static_cast<uint64_t>(p.blob - source_.base());
  int64_t calls = 0;
  for (uint64_t at = page; at < page + n;) {
    const uint64_t k = std::min(most, page + n - at);
    std::string why;
    if (!remote_.fetch(ch, blobOffset + at * pageSize_, k * pageSize_, buf.data(), &why)) {
      fail(why + " (pid " + std::to_string(p.pid) + ", pages " + std::to_string(at) + "+" + std::to_string(k) + " not restored)");
      return -EIO;
    }
    const int64_t c = copyFrom(p, v, at, at + k, buf.data(), wake, copied, existed);
    if (c < 0) return c;
    calls += c;
    at += k;
  }
  return calls;
}

void Monitor::faultLoop() {
  struct epoll_event evs[16];
  struct uffd_msg msgs[kMsgBatch];
  while (!stopping_.load(std::memory_order_relaxed)) {
    // forked tasks' pages are pushed between faults, as CRIU's daemon does
    const bool pushing = (criuMode() && criuPushStepOnFaultThread()) | (!forks_.empty() && pushForked());
    int n = epoll_wait(faultEpoll_, evs, 16, pushing ? 0 : faultRetry_.empty() && forkRetry_.empty() ? -1 : 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::string("epoll_wait: ") + std::strerror(errno));
      return;
    }
    for (int i = 0; i < n; i++) {
      const uint64_t tag = evs[i].data.u64;
      if (tag == kFaultTagWake) {
        uint64_t v;
        (void)!::read(faultWake_, &v, sizeof v);
        continue;
      }
      const bool forked = tag >= kFaultTagForked;
      ProcState& p = forked ? *forks_[tag - kFaultTagForked] : *procs_[tag];
      p.faultBusy.fetch_add(1, std::memory_order_acq_rel);
      ssize_t r = ::read(p.uffd, msgs, sizeof msgs);
      const double t = now();
      if (r > 0) {
        const size_t k = static_cast<size_t>(r) / sizeof(struct uffd_msg);
        for (size_t j = 0; j < k; j++) {
          if (msgs[j].event != UFFD_EVENT_PAGEFAULT) handleEvent(p, msgs[j], t);
          else if (forked) handleForkedFault(p, msgs[j]);
          else handleFault(p, msgs[j], t);
        }
      } else if (r < 0 && errno != EAGAIN && errno != EINTR) {
        epoll_ctl(faultEpoll_, EPOLL_CTL_DEL, p.uffd, nullptr);
      }
      if (evs[i].events & (EPOLLERR | EPOLLHUP)) epoll_ctl(faultEpoll_, EPOLL_CTL_DEL, p.uffd, nullptr);
      p.faultBusy.fetch_sub(1, std::memory_order_acq_rel);
    }
    if (!forkRetry_.empty()) retryFaults(forkRetry_, true);
    if (!faultRetry_.empty()) retryFaults(faultRetry_, false);
  }
}

void Monitor::retryFaults(std::vector<RetryFault>& list, bool forked) {
  std::vector<RetryFault> again;
  again.swap(list);
  for (const RetryFault& r : again) {
    ProcState& p = forked ? *forks_[r.proc] : *procs_[r.proc];
    if (r.tries >= kMaxFaultRetries) {
      fail(whose(p) + ": UFFDIO_COPY said EAGAIN " + std::to_string(r.tries) + " times for one fault");
      continue;
    }
    p.faultBusy.fetch_add(1, std::memory_order_acq_rel);
    const size_t before = list.size();
    const auto& m = *reinterpret_cast<const struct uffd_msg*>(r.msg);
    if (forked) handleForkedFault(p, m);
    else handleFault(p, m, r.tRaise, true);
    if (list.size() > before) list.back().tries = r.tries + 1;
    p.faultBusy.fetch_sub(1, std::memory_order_acq_rel);
  }
}

std::string Monitor::whose(const ProcState& p) {
  return p.forked ? "a task pid " + std::to_string(p.pid) + " forked" : "pid " + std::to_string(p.pid);
}

int Monitor::faultVma(ProcState& p, uint64_t addr) {
  const int vi = vmaOfAddr(p, addr);
  if (vi < 0) {
    wakeRange(p.uffd, addr, pageSize_);
    fail(whose(p) + " faulted at an address outside its registered VMAs");
  }
  return vi;
}

void Monitor::handleFault(ProcState& p, const struct uffd_msg& m, double tRaise, bool retry) {
  const uint64_t addr = m.arg.pagefault.address & ~(pageSize_ - 1);
  const uint64_t kflags = m.arg.pagefault.flags;
  const double flags = ((kflags & UFFD_PAGEFAULT_FLAG_WRITE) ? 1 : 0) + ((kflags & UFFD_PAGEFAULT_FLAG_WP) ? 2 : 0);
  const double tid = static_cast<double>(m.arg.pagefault.feat.ptid);
  const int vi = faultVma(p, addr);
  if (vi < 0) return;
  const VmaState& v = p.vmas[vi];
  const uint64_t page = v.firstPage + (addr - v.addr) / pageSize_;
  // what the fault itself needs: its page, or its whole huge page in a hugetlb VMA
  const uint64_t dLo = v.hugetlb ? hugeStart(v, page) : page;
  const uint64_t dN = v.hugetlb ? RL_HUGETLB_PAGES : 1;
  const uint64_t wakeAddr = v.addr + (dLo - v.firstPage) * pageSize_, wakeLen = dN * pageSize_;
  const double pid = p.pid;
  // the fault thread's own buffers: no allocation per fault once they have grown (a window split by
  // pages that exist already can make any number of runs, each up to three records)
  static thread_local std::vector<Record> ev;
  static thread_local std::vector<uint64_t> runA, runN;
  ev.clear();
  runA.clear();
  runN.clear();
  if (!retry) ev.push_back(Record{rel(tRaise), kFaultRaised, pid, static_cast<double>(page), tid, flags, 0, 0});

  if (kflags & UFFD_PAGEFAULT_FLAG_WP) {
    struct uffdio_writeprotect wp = {{addr, pageSize_}, 0};
    (void)ioctl(p.uffd, UFFDIO_WRITEPROTECT, &wp);
    const double tRes = now();
    ev.push_back(Record{rel(tRes), kFaultResolved, pid, static_cast<double>(page), tRes - tRaise, 0, 0, 0});
    std::lock_guard<HybridMutex> g(stateMu_);
    emitBatch(ev.data(), ev.size());
    return;
  }

  bool present, lazy;
  uint64_t lo = page, hi = page;
  uint64_t extra[RL_MAX_RULE_PAGES];
  size_t nExtra = 0;
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    p.faulted.set(page);
    present = p.present.get(page);
    const bool content = (p.flags[page] & RL_PAGE_CONTENT) != 0;
    lazy = !present && content && p.registered.get(page);
    if (lazy) {
      auto windowable = [&](uint64_t q) {
        return (p.flags[q] & RL_PAGE_CONTENT) && p.registered.get(q) && !p.present.get(q) && !p.inFlight.get(q);
      };
      const uint64_t vEnd = v.firstPage + v.pages;
      while (lo > v.firstPage && page - lo < v.backward && windowable(lo - 1)) lo--;
      while (hi + 1 < vEnd && hi - page < v.forward && windowable(hi + 1)) hi++;
      if (v.hugetlb) {
        lo = hugeStart(v, lo);
        hi = hugeStart(v, hi) + RL_HUGETLB_PAGES - 1;
      }
      nExtra = collectRulePages(p, page, lo, hi, extra);
      // logged where the rules were read, so a FaultRulesSet before it in the log is the set it used
      emitBatch(ev.data(), ev.size());
      ev.clear();
    }
  }

  if (present) {
    // a queued copy made it present after the fault was raised: UFFDIO_COPY would say EEXIST
    wakeRange(p.uffd, wakeAddr, wakeLen);
    const double tRes = now();
    ev.push_back(Record{rel(tRes), kCopyRejected, pid, static_cast<double>(page), 1, kRejectEexist, kCauseDemand, 0});
    ev.push_back(Record{rel(tRes), kFaultResolved, pid, static_cast<double>(page), tRes - tRaise, 0, 0, 0});
    std::lock_guard<HybridMutex> g(stateMu_);
    stats_.faults++;
    stats_.spuriousFaults++;
    emitBatch(ev.data(), ev.size());
    return;
  }

  if (!lazy) {
    bool mapped;
    if (v.hugetlb) {
      // hugetlbfs has no UFFDIO_ZEROPAGE: a huge page of zeros is copied (a page discarded since)
      static thread_local std::vector<uint8_t> zeros;
      zeros.resize(RL_HUGETLB_PAGES * pageSize_);
      struct uffdio_copy c = {wakeAddr, reinterpret_cast<uint64_t>(zeros.data()), wakeLen, 0, 0};
      mapped = ioctl(p.uffd, UFFDIO_COPY, &c) == 0;
    } else {
      mapped = zeroPage(p.uffd, addr) == 0;
    }
    if (!mapped) wakeRange(p.uffd, wakeAddr, wakeLen);
    const double tRes = now();
    std::lock_guard<HybridMutex> g(stateMu_);
    p.present.setRange(dLo, dN);
    if (mapped) ev.push_back(Record{rel(tRes), kZeroPageMapped, pid, static_cast<double>(dLo), static_cast<double>(dN), 0, 0, 0});
    ev.push_back(Record{rel(tRes), kFaultResolved, pid, static_cast<double>(page), tRes - tRaise, 0, 0, 0});
    stats_.faults++;
    stats_.faultNsTotal += static_cast<uint64_t>(tRes - tRaise);
    emitBatch(ev.data(), ev.size());
    return;
  }

  // The rules' pages first, without a wake: the thread resumes with them in (as the simulator has
  // it), so a fault-time rule never races its own process. They are logged after the fault.
  static thread_local std::vector<Record> ruleEv;
  ruleEv.clear();
  copyRulePages(p, extra, nExtra, ruleEv);
  auto logRules = [&](double t) {
    for (Record& r : ruleEv) {
      r.t = t;
      ev.push_back(r);
    }
  };

  // One UFFDIO_COPY for [lo, hi]. Only the faulting page can race with the copier (the window
  // skips pages in flight); if the copier won, the page exists and we wake the thread ourselves.

  bool demandExisted = false;
  int64_t calls = copyRange(
      p, v, lo, hi - lo + 1, true, Channel::Urgent,
      [&](uint64_t a, uint64_t k) {
        runA.push_back(a);
        runN.push_back(k);
      },
      [&](uint64_t q) {
        if (q == page) demandExisted = true;
      });
  bool demandInRuns = false;
  for (size_t r = 0; r < runA.size(); r++) demandInRuns |= runA[r] <= page && page < runA[r] + runN[r];
  if (calls == -EAGAIN && !demandExisted && !demandInRuns) {
    // the thread stays blocked; the fault is copied again once the pending event was read
    std::lock_guard<HybridMutex> g(stateMu_);
    const double tNow = rel(now());
    for (size_t r = 0; r < runA.size(); r++) {
      p.present.setRange(runA[r], runN[r]);
      ev.push_back(Record{tNow, kPagesCopied, pid, static_cast<double>(runA[r]), static_cast<double>(runN[r]), kCausePrefetch, 0, 0});
    }
    logRules(tNow);
    emitBatch(ev.data(), ev.size());
    RetryFault rf{p.idx, 0, tRaise, {}};
    static_assert(sizeof m <= sizeof rf.msg, "a uffd_msg fits RetryFault::msg");
    std::memcpy(rf.msg, &m, sizeof m);
    faultRetry_.push_back(rf);
    return;
  }
  if (calls == -EAGAIN) calls = 0;  // the demand page is in: the rest of the window is not needed
  // a lost page server (-EIO) leaves the thread blocked: the run has failed and the process is stopped
  if (demandExisted || (calls < 0 && calls != -EIO) || demandInRuns) wakeRange(p.uffd, wakeAddr, wakeLen);
  const double tRes = now();
  if (calls < 0 && !demandExisted) {
    {
      std::lock_guard<HybridMutex> g(stateMu_);
      logRules(rel(tRes));
      emitBatch(ev.data(), ev.size());
    }
    fail("pid " + std::to_string(p.pid) + ": UFFDIO_COPY of page " + std::to_string(page) + " failed: " + std::strerror(static_cast<int>(-calls)));
    return;
  }
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    bool demandCopied = false;
    double restCalls = static_cast<double>(calls > 0 ? calls : 0);
    for (size_t r = 0; r < runA.size(); r++) {
      const uint64_t a = runA[r], e = runA[r] + runN[r];
      p.present.setRange(a, runN[r]);
      const uint64_t dEnd = dLo + dN;
      if (a < dLo) {
        const uint64_t stop = std::min(e, dLo);
        ev.push_back(Record{rel(tRes), kPagesCopied, pid, static_cast<double>(a), static_cast<double>(stop - a), kCausePrefetch, 0, 0});
      }
      if (a < dEnd && dLo < e) {
        const uint64_t from = std::max(a, dLo), to = std::min(e, dEnd);
        demandCopied |= from <= page && page < to;
        ev.push_back(Record{rel(tRes), kPagesCopied, pid, static_cast<double>(from), static_cast<double>(to - from), kCauseDemand, restCalls, 0});
        restCalls = 0;
      }
      if (e > dEnd) {
        const uint64_t from = std::max(a, dEnd);
        ev.push_back(Record{rel(tRes), kPagesCopied, pid, static_cast<double>(from), static_cast<double>(e - from), kCausePrefetch, 0, 0});
      }
    }
    if (!demandCopied && restCalls > 0 && ev.size() > 1) ev.back().d += restCalls;
    if (demandExisted) p.present.set(page);
    followFault(p.idx, hi + 1);
    ev.push_back(Record{rel(tRes), kFaultResolved, pid, static_cast<double>(page), tRes - tRaise, 0, 0, 0});
    logRules(rel(tRes));
    stats_.faults++;
    stats_.faultNsTotal += static_cast<uint64_t>(tRes - tRaise);
    emitBatch(ev.data(), ev.size());
  }
}

// Non-cooperative events: the task forked, or moved, discarded or unmapped registered memory.
void Monitor::handleEvent(ProcState& p, const struct uffd_msg& m, double t) {
  if (m.event == UFFD_EVENT_FORK) {
    onFork(p, static_cast<int>(m.arg.fork.ufd));
    return;
  }
  std::lock_guard<HybridMutex> g(stateMu_);
  switch (m.event) {
    case UFFD_EVENT_REMAP: {
      const int vi = vmaOfAddr(p, m.arg.remap.from);
      if (vi < 0) break;
      VmaState& v = p.vmas[vi];
      if (v.addr != m.arg.remap.from || v.pages * pageSize_ != m.arg.remap.len) {
        error_ = error_.empty() ? "pid " + std::to_string(p.pid) + " moved part of a registered VMA (mremap): not supported" : error_;
        Record r{rel(t), kFailed, 0, 0, 0, 0, 0, 0};
        emitBatch(&r, 1);
        break;
      }
      v.addr = m.arg.remap.to;
      std::sort(p.byAddr.begin(), p.byAddr.end(), [&](uint32_t a, uint32_t b) { return p.vmas[a].addr < p.vmas[b].addr; });
      Record r{rel(t), kVmaRemapped, static_cast<double>(p.pid), static_cast<double>(v.firstPage), static_cast<double>(v.pages),
               static_cast<double>(v.firstPage), 0};
      if (!p.forked) emitBatch(&r, 1);
      break;
    }
    case UFFD_EVENT_REMOVE:
    case UFFD_EVENT_UNMAP: {
      const uint64_t start = m.arg.remove.start, end = m.arg.remove.end;
      for (const VmaState& v : p.vmas) {
        const uint64_t vs = v.addr, ve = v.addr + v.pages * pageSize_;
        const uint64_t a = std::max(vs, start), b = std::min(ve, end);
        if (a >= b) continue;
        const uint64_t first = v.firstPage + (a - vs) / pageSize_, count = (b - a) / pageSize_;
        p.registered.clearRange(first, count);
        p.present.clearRange(first, count);
        p.inFlight.clearRange(first, count);
        Record r{rel(t), static_cast<double>(m.event == UFFD_EVENT_REMOVE ? kVmaRemoved : kVmaUnmapped), static_cast<double>(p.pid),
                 static_cast<double>(first), static_cast<double>(count), 0, 0, 0};
        if (!p.forked) emitBatch(&r, 1);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace restorelab
