// A mutex for the monitor's short critical sections that its threads share across CPUs: it spins
// before it sleeps. std::mutex sleeps in the kernel at once when it is taken, and on a VM the
// wake-up of a sleeper on another CPU costs tens of microseconds, far more than the section itself
// (a few bitmap words or ring slots). The futex fallback keeps a waiter from spinning forever on a
// holder that was preempted on its own CPU (a SCHED_FIFO thread would never let it run again).
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace restorelab {

class HybridMutex {
 public:
  void lock() {
    for (int i = 0; i < kSpins; i++) {
      int expected = kUnlocked;
      if (state_.load(std::memory_order_relaxed) == kUnlocked &&
          state_.compare_exchange_weak(expected, kLocked, std::memory_order_acquire, std::memory_order_relaxed))
        return;
      relax();
    }
    int c = state_.exchange(kContended, std::memory_order_acquire);
    while (c != kUnlocked) {
      futex(FUTEX_WAIT_PRIVATE, kContended);
      c = state_.exchange(kContended, std::memory_order_acquire);
    }
  }

  bool try_lock() {
    int expected = kUnlocked;
    return state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire, std::memory_order_relaxed);
  }

  void unlock() {
    if (state_.exchange(kUnlocked, std::memory_order_release) == kContended) futex(FUTEX_WAKE_PRIVATE, 1);
  }

 private:
  static constexpr int kUnlocked = 0, kLocked = 1, kContended = 2;
  // ~10-20 us of spinning: longer than any section, shorter than a time slice
  static constexpr int kSpins = 4000;

  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  void futex(int op, int val) { (void)syscall(SYS_futex, reinterpret_cast<int*>(&state_), op, val, nullptr, nullptr, 0); }

  std::atomic<int> state_{kUnlocked};
  static_assert(sizeof(std::atomic<int>) == sizeof(int), "the futex word is the atomic itself");
};

}  // namespace restorelab
