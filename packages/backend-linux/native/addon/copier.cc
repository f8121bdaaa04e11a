// The native copier: strategies' asynchronous copies, served by priority (urgent, prefetch,
// background) and FIFO within one, split into runs of missing pages of at most 512 per UFFDIO_COPY.
// Runs are copied without waking; one UFFDIO_WAKE per command releases any thread that faulted on them.
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "../common/uffd-compat.h"
#include "event-codes.h"
#include "monitor.h"

namespace restorelab {

using namespace codes;

namespace {
}  // namespace

void Monitor::submitCopy(uint32_t proc, uint64_t page, uint64_t count, uint32_t cause, uint32_t priority, double reactsTo,
                         double queuedSeq) {
  if (proc >= procs_.size() || count == 0) return;
  ProcState& p = *procs_[proc];
  if (page >= p.totalPages) return;
  count = std::min(count, p.totalPages - page);
  const uint32_t q = std::min<uint32_t>(priority, 2);
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    p.inFlight.setRange(page, count);
    // after every process ended nothing is sent back: a strategy that asks again on each answer
    // would never stop (the simulator drops these too)
    if (finished_) return;
    queues_[q].push_back(CopyCommand{proc, page, count, cause});
    stats_.copierCommands++;
    Record r{rel(now()), kCopyLanded, static_cast<double>(p.pid), static_cast<double>(page), static_cast<double>(count), reactsTo,
             queuedSeq, 0};
    emitBatch(&r, 1);
  }
  // the JS thread serves urgent and prefetch commands itself when it next waits for events
  if (!(cfg_.inlineCopies && q < kBackgroundQueue)) copierCv_.notify_one();
}

bool Monitor::takeCommand(uint32_t maxQueue, CopyCommand* out) {
  if (!copierReady_ || finished_) return false;
  for (uint32_t q = 0; q <= maxQueue; q++) {
    if (queues_[q].empty()) continue;
    *out = queues_[q].front();
    queues_[q].pop_front();
    copierBusy_++;
    return true;
  }
  return false;
}

void Monitor::commandDone() {
  std::lock_guard<HybridMutex> g(stateMu_);
  copierBusy_--;
  if (allDonePending_ && copierBusy_ == 0) {
    allDonePending_ = false;
    Record r{rel(now()), kAllDone, 0, 0, 0, 0, 0, 0};
    emitBatch(&r, 1);
  }
}

void Monitor::copierLoop() {
  for (;;) {
    CopyCommand c;
    {
      std::unique_lock<HybridMutex> g(stateMu_);
      copierCv_.wait(g, [&] {
        return stopping_.load() || (copierReady_ && !finished_ && (!queues_[0].empty() || !queues_[1].empty() || !queues_[2].empty()));
      });
      if (stopping_.load()) return;
      if (!takeCommand(kBackgroundQueue, &c)) continue;
    }
    runCopyCommand(c);
    commandDone();
  }
}

uint64_t Monitor::serveInline() {
  uint64_t served = 0;
  for (;;) {
    CopyCommand c;
    {
      std::lock_guard<HybridMutex> g(stateMu_);
      if (!takeCommand(kBackgroundQueue - 1, &c)) return served;
    }
    runCopyCommand(c);
    commandDone();
    served++;
  }
}

void Monitor::runCopyCommand(const CopyCommand& c) {
  ProcState& p = *procs_[c.proc];
  const double pid = p.pid;
  const double cause = c.cause;
  uint64_t at = c.page;
  const uint64_t end = c.page + c.count;
  while (at < end && !stopping_.load(std::memory_order_relaxed)) {
    const int vi = vmaOfPage(p, at);
    if (vi < 0) break;
    const VmaState& v = p.vmas[vi];
    const uint64_t vEnd = std::min(end, v.firstPage + v.pages);
    const uint64_t segStart = at;
    bool copiedAny = false;
    while (at < vEnd) {
      uint64_t run = at;
      {
        std::lock_guard<HybridMutex> g(stateMu_);
        if (p.done) {
          // the process has ended its workload: nothing left to restore into
          p.inFlight.clearRange(at, end - at);
          Record r{rel(now()), kCopyRejected, pid, static_cast<double>(at), static_cast<double>(end - at), kRejectEnoent, cause, 0};
          emitBatch(&r, 1);
          return;
        }
        uint64_t j = at;
        while (j < vEnd && p.present.get(j)) j++;
        if (j > at) {
          p.inFlight.clearRange(at, j - at);
          Record r{rel(now()), kCopyRejected, pid, static_cast<double>(at), static_cast<double>(j - at), kRejectEexist, cause, 0};
          emitBatch(&r, 1);
          at = j;
          continue;
        }
        while (j < vEnd && !p.registered.get(j) && !p.present.get(j)) j++;
        if (j > at) {
          p.inFlight.clearRange(at, j - at);
          Record r{rel(now()), kCopyRejected, pid, static_cast<double>(at), static_cast<double>(j - at), kRejectEnoent, cause, 0};
          emitBatch(&r, 1);
          at = j;
          continue;
        }
        while (j < vEnd && j - at < kMaxPagesPerCopy && !p.present.get(j) && p.registered.get(j)) j++;
        run = j;
      }
      const int64_t calls = copyRange(
          p, v, at, run - at, false, Channel::Background,
          [&](uint64_t a, uint64_t k) {
            std::lock_guard<HybridMutex> g(stateMu_);
            p.present.setRange(a, k);
            p.inFlight.clearRange(a, k);
            Record r{rel(now()), kPagesCopied, pid, static_cast<double>(a), static_cast<double>(k), cause, 1, 0};
            emitBatch(&r, 1);
            copiedAny = true;
          },
          [&](uint64_t q) {
            // a demand fault copied it first
            std::lock_guard<HybridMutex> g(stateMu_);
            p.present.set(q);
            p.inFlight.clear(q);
            Record r{rel(now()), kCopyRejected, pid, static_cast<double>(q), 1, kRejectEexist, cause, 0};
            emitBatch(&r, 1);
          });
      if (calls < 0) {
        std::lock_guard<HybridMutex> g(stateMu_);
        p.inFlight.clearRange(at, end - at);
        Record r{rel(now()), kCopyRejected, pid, static_cast<double>(at), static_cast<double>(end - at), kRejectEnoent, cause, 0};
        emitBatch(&r, 1);
        return;
      }
      at = run;
    }
    if (copiedAny) {
      struct uffdio_range r = {v.addr + (segStart - v.firstPage) * pageSize_, (vEnd - segStart) * pageSize_};
      (void)ioctl(p.uffd, UFFDIO_WAKE, &r);
    }
  }
}

}  // namespace restorelab
