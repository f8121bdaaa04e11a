// The hand-off of events from the native threads to JavaScript: a preallocated ring of fixed-size
// records that JS reads in place (an external ArrayBuffer), drained in batches. Producers never
// block: when JS falls behind, records wait in an overflow list and move into the ring as JS
// releases space, so the fault loop never waits for the event loop.
#pragma once

#include <sched.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "../common/protocol.h"
#include "hybrid-mutex.h"

namespace restorelab {

// One event as the monitor's threads make it (see event-kind.ts for a..d).
struct Record {
  double t;
  double kind;
  double pid;
  double a, b, c, d;
  double pad;
};
static_assert(sizeof(Record) == RL_RECORD_DOUBLES * sizeof(double), "a record is RL_RECORD_DOUBLES doubles");

// One event as JS reads it in the ring, one cache line (protocol.h RL_RING_*).
struct RingSlot {
  double t;
  double a, b, c, d;
  int32_t kind;  // | RL_RING_SMALL when small holds a..d
  int32_t pid;
  int32_t small[4];

  static RingSlot of(const Record& r) {
    RingSlot s;
    s.t = r.t;
    s.a = r.a;
    s.b = r.b;
    s.c = r.c;
    s.d = r.d;
    s.pid = static_cast<int32_t>(r.pid);
    const double f[4] = {r.a, r.b, r.c, r.d};
    bool fit = true;
    for (int i = 0; i < 4; i++) {
      fit = fit && f[i] > -kSmallBound && f[i] < kSmallBound && f[i] == static_cast<double>(static_cast<int32_t>(f[i]));
      s.small[i] = fit ? static_cast<int32_t>(f[i]) : 0;
    }
    s.kind = static_cast<int32_t>(r.kind) | (fit ? RL_RING_SMALL : 0);
    return s;
  }

 private:
  static constexpr double kSmallBound = 1073741824.0;  // 2^30
};
static_assert(sizeof(RingSlot) == RL_RECORD_DOUBLES * sizeof(double), "a ring slot is RL_RECORD_DOUBLES doubles");
static_assert(offsetof(RingSlot, t) == RL_RING_F64_T * sizeof(double) && offsetof(RingSlot, a) == RL_RING_F64_A * sizeof(double),
              "ring doubles where protocol.h says");
static_assert(offsetof(RingSlot, kind) == RL_RING_I32_KIND * sizeof(int32_t) && offsetof(RingSlot, pid) == RL_RING_I32_PID * sizeof(int32_t) &&
                  offsetof(RingSlot, small) == RL_RING_I32_A * sizeof(int32_t),
              "ring int32s where protocol.h says");

// Kinds >= 100 are for the backend itself, never appended to the session.
enum InternalKind : int {
  kAllRegistered = RL_INTERNAL_ALL_REGISTERED,
  kAllDone = RL_INTERNAL_ALL_DONE,
  kFailed = RL_INTERNAL_FAILED,
  kProcessDone = RL_INTERNAL_PROCESS_DONE,
};

class EventRing {
 public:
  explicit EventRing(uint64_t capacityPow2)
      : cap_(capacityPow2), mask_(capacityPow2 - 1), mem_(static_cast<RingSlot*>(std::calloc(capacityPow2, sizeof(RingSlot)))) {
    if (!mem_) throw std::bad_alloc();
  }
  ~EventRing() { std::free(mem_); }
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  RingSlot* data() { return mem_; }
  uint64_t capacity() const { return cap_; }
  uint64_t bytes() const { return cap_ * sizeof(RingSlot); }

  // Appends n records; returns true when JS should be told (nobody told it since its last drain).
  bool push(const Record* r, size_t n) {
    {
      std::lock_guard<HybridMutex> g(mu_);
      pushed_ += n;
      for (size_t i = 0; i < n; i++) {
        if (overflow_.empty() && head_ - tail_ < cap_) {
          mem_[head_ & mask_] = RingSlot::of(r[i]);
          head_++;
        } else {
          overflow_.push_back(r[i]);
          overflowed_++;
        }
      }
      published_.store(head_, std::memory_order_release);
      if (sleepers_ > 0) wakeCv_.notify_all();
    }
    return !notifyPending_.exchange(true, std::memory_order_acq_rel);
  }

  // The JS thread's wait for records past `consumed`: spins (yielding the CPU to any runnable
  // thread, e.g. the copier) for up to spinNs, then sleeps for up to blockNs. Producers pay a
  // wake-up only while it sleeps, so a busy restore costs the fault loop nothing. Returns
  // whether records are there.
  bool waitFor(uint64_t consumed, double spinNs, double blockNs) {
    ack(consumed);
    if (published() > consumed) return true;
    const double until = monotonicNs() + spinNs;
    while (monotonicNs() < until) {
      if (published() > consumed) return true;
      sched_yield();
    }
    if (blockNs <= 0) return published() > consumed;
    std::unique_lock<HybridMutex> g(mu_);
    sleepers_++;
    wakeCv_.wait_for(g, std::chrono::nanoseconds(static_cast<int64_t>(blockNs)), [&] { return head_ > consumed; });
    sleepers_--;
    return head_ > consumed;
  }

  // JS has consumed everything before `consumed`; returns the new end of what it may read.
  uint64_t drain(uint64_t consumed) {
    ack(consumed);
    notifyPending_.store(false, std::memory_order_release);
    std::lock_guard<HybridMutex> g(mu_);
    if (consumed > tail_ && consumed <= head_) tail_ = consumed;
    size_t moved = 0;
    while (moved < overflow_.size() && head_ - tail_ < cap_) {
      mem_[head_ & mask_] = RingSlot::of(overflow_[moved++]);
      head_++;
    }
    if (moved) overflow_.erase(overflow_.begin(), overflow_.begin() + static_cast<long>(moved));
    published_.store(head_, std::memory_order_release);
    return head_;
  }

  // Records pushed so far, those waiting in the overflow list included: the index JS's count of
  // consumed records reaches once it has handled every one of them.
  uint64_t pushed() {
    std::lock_guard<HybridMutex> g(mu_);
    return pushed_;
  }

  // Waits until JS has handled the first `n` records (it said so in waitFor or drain), or
  // `timeoutNs` passed, or `stop` turned true; returns whether it had.
  bool waitConsumed(uint64_t n, double timeoutNs, const std::atomic<bool>& stop) const {
    const double until = monotonicNs() + timeoutNs;
    while (acked_.load(std::memory_order_acquire) < n) {
      if (stop.load(std::memory_order_relaxed) || monotonicNs() >= until) return false;
      struct timespec ts {0, kConsumedPollNs};
      nanosleep(&ts, nullptr);
    }
    return true;
  }

  // The push that would have told JS did not: let the next one try again.
  void rearmNotify() { notifyPending_.store(false, std::memory_order_release); }

  uint64_t published() const { return published_.load(std::memory_order_acquire); }
  uint64_t overflowed() const { return overflowed_; }

  static constexpr long kConsumedPollNs = 20000;

  static double monotonicNs() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  }

 private:
  void ack(uint64_t consumed) {
    uint64_t seen = acked_.load(std::memory_order_relaxed);
    while (consumed > seen && !acked_.compare_exchange_weak(seen, consumed, std::memory_order_release)) {
    }
  }

  const uint64_t cap_;
  const uint64_t mask_;
  RingSlot* mem_;
  HybridMutex mu_;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
  std::vector<Record> overflow_;
  uint64_t overflowed_ = 0;
  uint64_t pushed_ = 0;
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> acked_{0};
  std::atomic<bool> notifyPending_{false};
  std::condition_variable_any wakeCv_;
  int sleepers_ = 0;
};

}  // namespace restorelab
