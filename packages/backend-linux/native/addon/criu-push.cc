// CRIU mode: the plan's precopy after the finish value, the lower half of each range on the fault
// thread, a call at a time between two looks at the faults (as CRIU's daemon pushes its pages), the
// upper half on the control thread. AllRegistered and WorkloadStarted follow the last call.
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "event-codes.h"
#include "monitor.h"
#include "run-dir-io.h"

namespace restorelab {

using namespace codes;

namespace {
// pages per call: a fault waits behind at most one of them
constexpr uint64_t kPushCallPages = 128;
}  // namespace

void Monitor::startCriuPush() {
  pushT0_ = now();
  pushersLeft_.store(2, std::memory_order_release);
  criuPushAsked_.store(true, std::memory_order_release);
  const uint64_t one = 1;
  (void)!::write(faultWake_, &one, sizeof one);
  // the upper half of every range here, the lower half (where a scan from the bottom needs its
  // pages first) on the fault thread
  PushCursor upper;
  upper.started = true;
  upper.upper = true;
  while (!stopping_.load(std::memory_order_relaxed) && criuPushStep(upper)) {
  }
}

bool Monitor::criuPushStepOnFaultThread() {
  if (!push_.started) {
    if (!criuPushAsked_.load(std::memory_order_acquire)) return false;
    push_.started = true;
  }
  return criuPushStep(push_);
}

bool Monitor::criuPushStep(PushCursor& c) {
  if (c.done) return false;
  auto* r = reinterpret_cast<const rl_plan_range*>(plan_ + hdr_->precopy_off);
  while (c.proc < procs_.size()) {
    ProcState& p = *procs_[c.proc];
    if (c.range >= hdr_->n_precopy || p.done) {
      c.proc++;
      c.range = 0;
      c.page = UINT64_MAX;
      continue;
    }
    const rl_plan_range& rg = r[c.range];
    const uint64_t mid = rg.page + rg.count / 2;
    const uint64_t end = std::min<uint64_t>(c.upper ? rg.page + rg.count : mid, p.totalPages);
    if (rg.proc == p.idx && c.page == UINT64_MAX) c.page = c.upper ? mid : rg.page;
    if (rg.proc != p.idx || c.page >= end) {
      c.range++;
      c.page = UINT64_MAX;
      continue;
    }
    const int vi = vmaOfPage(p, c.page);
    if (vi < 0) {
      c.page = end;
      continue;
    }
    const VmaState& v = p.vmas[vi];
    const uint64_t vEnd = std::min(end, v.firstPage + v.pages);
    uint64_t from, to;
    {
      std::lock_guard<HybridMutex> g(stateMu_);
      from = c.page;
      while (from < vEnd && p.present.get(from)) from++;
      to = from;
      while (to < vEnd && to - from < kPushCallPages && !p.present.get(to)) to++;
    }
    if (from == to) {
      c.page = vEnd;
      continue;
    }
    uint64_t copied = 0;
    const int64_t calls = copyRange(
        p, v, from, to - from, false, Channel::Background,
        [&](uint64_t a, uint64_t k) {
          std::lock_guard<HybridMutex> g(stateMu_);
          p.present.setRange(a, k);
          copied += k;
        },
        [](uint64_t) {});
    if (calls == -EAGAIN) return true;  // the task's event is read first, then this call again
    if (calls == -ESRCH) {
      // the task exited: nothing left to copy into
      c.proc++;
      c.range = 0;
      c.page = UINT64_MAX;
      continue;
    }
    if (calls < 0) {
      c.done = true;
      fail(errnoText("precopy UFFDIO_COPY", static_cast<int>(-calls)));
      return false;
    }
    pushPages_.fetch_add(copied, std::memory_order_relaxed);
    c.page = to;
    emit(now(), kPagesCopied, p.pid, static_cast<double>(from), static_cast<double>(copied), kCausePrecopy, static_cast<double>(calls));
    return true;
  }
  c.done = true;
  if (pushersLeft_.fetch_sub(1, std::memory_order_acq_rel) != 1) return false;
  // the other pusher is done too
  emit(now(), kAllRegistered, 0, static_cast<double>(procs_.size()), 0, 0, 0);
  // a real program takes no advice from us (process_madvise cannot set THP flags)
  for (auto& m : startWorkloads(now() - pushT0_, pushPages_.load(), false)) emit(now(), kMadviseApplied, procs_[m.proc]->pid, m.vma, m.advice, 0, 0);
  return false;
}

}  // namespace restorelab
