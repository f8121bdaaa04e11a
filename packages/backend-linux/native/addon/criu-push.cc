// CRIU mode: the plan's precopy after the finish value, pushed while the restored program runs, by
// two pushers: the fault thread, a call at a time between two looks at the faults (as CRIU's daemon
// pushes its pages), and the control thread. Both take the pages of their next call from one place:
// right after the program's latest demand fault while those are missing (it reads on from there),
// else the plan's next missing pages, in the plan's order. AllRegistered and WorkloadStarted follow
// the last call of the two.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "event-codes.h"
#include "monitor.h"
#include "run-dir-io.h"

namespace restorelab {

using namespace codes;

namespace {
// pages per call: a fault waits behind at most one of them
constexpr uint64_t kPushCallPages = 128;
// how far past pages in flight (the other pusher's call) the pages after a fault are looked for
constexpr uint64_t kFollowSkipPages = 2 * kPushCallPages;
}  // namespace

void Monitor::startCriuPush() {
  pushT0_ = now();
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    auto* r = reinterpret_cast<const rl_plan_range*>(plan_ + hdr_->precopy_off);
    for (auto& p : procs_) p->pushPlanned.resize(p->totalPages);
    for (uint32_t i = 0; i < hdr_->n_precopy; i++) {
      ProcState& p = *procs_[r[i].proc];
      const uint64_t end = std::min<uint64_t>(r[i].page + r[i].count, p.totalPages);
      if (r[i].page < end) p.pushPlanned.setRange(r[i].page, end - r[i].page);
    }
  }
  pushersLeft_.store(2, std::memory_order_release);
  criuPushAsked_.store(true, std::memory_order_release);
  const uint64_t one = 1;
  (void)!::write(faultWake_, &one, sizeof one);
  bool done = false;
  while (!stopping_.load(std::memory_order_relaxed) && criuPushStep(done)) {
  }
}

bool Monitor::criuPushStepOnFaultThread() {
  if (!faultPusherStarted_) {
    if (!criuPushAsked_.load(std::memory_order_acquire)) return false;
    faultPusherStarted_ = true;
  }
  return criuPushStep(faultPusherDone_);
}

void Monitor::followFault(uint32_t proc, uint64_t page) {
  // only where the plan pushes: a strategy that precopies nothing gets nothing after its faults
  // (criuPushAsked_ is set once pushPlanned is)
  if (criuPushAsked_.load(std::memory_order_acquire) && page < procs_[proc]->totalPages && procs_[proc]->pushPlanned.get(page))
    pushFollow_ = PushFollow{true, proc, page};
}

bool Monitor::pushable(const ProcState& p, uint64_t q) const {
  return p.pushPlanned.get(q) && !p.present.get(q) && !p.inFlight.get(q);
}

bool Monitor::claimRun(ProcState& p, uint64_t from, uint64_t end, PushClaim& c) {
  while (from < end && !pushable(p, from)) from++;
  uint64_t to = from;
  while (to < end && to - from < kPushCallPages && pushable(p, to)) to++;
  if (from == to) return false;
  p.inFlight.setRange(from, to - from);
  c = PushClaim{p.idx, from, to};
  return true;
}

bool Monitor::claimAgain(PushClaim& c) {
  while (!pushAgain_.empty()) {
    const PushClaim a = pushAgain_.back();
    pushAgain_.pop_back();
    ProcState& p = *procs_[a.proc];
    if (!p.done && !p.pushGone && claimRun(p, a.from, a.to, c)) return true;
  }
  return false;
}

bool Monitor::claimAfterFault(PushClaim& c) {
  PushFollow& f = pushFollow_;
  if (!f.active) return false;
  f.active = false;
  ProcState& p = *procs_[f.proc];
  if (p.done || p.pushGone || f.page >= p.totalPages) return false;
  const int vi = vmaOfPage(p, f.page);
  if (vi < 0) return false;
  const VmaState& v = p.vmas[vi];
  const uint64_t vEnd = v.firstPage + v.pages;
  uint64_t from = f.page;
  // the other pusher's call may be just ahead of the program: read on after it; a present page
  // there means the pages after the fault came already
  while (from < vEnd && from - f.page < kFollowSkipPages && p.inFlight.get(from)) from++;
  if (from >= vEnd || !pushable(p, from)) return false;
  if (!claimRun(p, from, std::min(vEnd, from + kPushCallPages), c)) return false;
  f = PushFollow{true, f.proc, c.to};
  return true;
}

bool Monitor::claimFromPlan(PushClaim& c) {
  auto* r = reinterpret_cast<const rl_plan_range*>(plan_ + hdr_->precopy_off);
  PushPlanCursor& k = pushPlan_;
  while (k.proc < procs_.size()) {
    ProcState& p = *procs_[k.proc];
    if (k.range >= hdr_->n_precopy || p.done || p.pushGone) {
      k.proc++;
      k.range = 0;
      k.page = UINT64_MAX;
      continue;
    }
    const rl_plan_range& rg = r[k.range];
    const uint64_t end = std::min<uint64_t>(rg.page + rg.count, p.totalPages);
    if (rg.proc == p.idx && k.page == UINT64_MAX) k.page = rg.page;
    if (rg.proc != p.idx || k.page >= end) {
      k.range++;
      k.page = UINT64_MAX;
      continue;
    }
    const int vi = vmaOfPage(p, k.page);
    if (vi < 0) {
      k.page = end;
      continue;
    }
    const VmaState& v = p.vmas[vi];
    const uint64_t vEnd = std::min(end, v.firstPage + v.pages);
    if (claimRun(p, k.page, vEnd, c)) {
      k.page = c.to;
      return true;
    }
    k.page = vEnd;
  }
  return false;
}

bool Monitor::criuPushStep(bool& done) {
  if (done) return false;
  PushClaim c;
  bool claimed;
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    claimed = claimAgain(c) || claimAfterFault(c) || claimFromPlan(c);
  }
  if (!claimed) {
    done = true;
    return finishPusher();
  }
  ProcState& p = *procs_[c.proc];
  const VmaState& v = p.vmas[vmaOfPage(p, c.from)];
  // the runs copied (a demand fault may have copied a page between them)
  static thread_local std::vector<std::pair<uint64_t, uint64_t>> runs;
  runs.clear();
  // with a wake: a thread that faulted inside the call resumes as soon as its page is in
  const int64_t calls = copyRange(
      p, v, c.from, c.to - c.from, true, Channel::Background,
      [&](uint64_t a, uint64_t k) {
        std::lock_guard<HybridMutex> g(stateMu_);
        p.present.setRange(a, k);
        runs.emplace_back(a, k);
      },
      [](uint64_t) {});
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    p.inFlight.clearRange(c.from, c.to - c.from);
    // the task's event is read first, then this call again
    if (calls == -EAGAIN) pushAgain_.push_back(c);
    // the task exited: nothing left to copy into
    if (calls == -ESRCH) p.pushGone = true;
  }
  if (calls < 0 && calls != -EAGAIN && calls != -ESRCH) {
    done = true;
    fail(errnoText("precopy UFFDIO_COPY", static_cast<int>(-calls)));
    return false;
  }
  double callsLeft = static_cast<double>(std::max<int64_t>(calls, 0));
  for (const auto& run : runs) {
    pushPages_.fetch_add(run.second, std::memory_order_relaxed);
    emit(now(), kPagesCopied, p.pid, static_cast<double>(run.first), static_cast<double>(run.second), kCausePrecopy, callsLeft);
    callsLeft = 0;
  }
  return true;
}

bool Monitor::finishPusher() {
  if (pushersLeft_.fetch_sub(1, std::memory_order_acq_rel) != 1) return false;
  // the other pusher is done too
  emit(now(), kAllRegistered, 0, static_cast<double>(procs_.size()), 0, 0, 0);
  // a real program takes no advice from us (process_madvise cannot set THP flags)
  for (auto& m : startWorkloads(now() - pushT0_, pushPages_.load(), false)) emit(now(), kMadviseApplied, procs_[m.proc]->pid, m.vma, m.advice, 0, 0);
  return false;
}

}  // namespace restorelab
