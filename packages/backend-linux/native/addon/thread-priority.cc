#include "thread-priority.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "../common/cpu-mask.h"

namespace restorelab {

namespace {
// Low in the real-time range: above every normal thread, below the kernel's own RT threads.
constexpr int kFifoPriority = 10;
constexpr int kNice = -10;
}  // namespace

FaultThreadPolicy raiseFaultThread(int* fifoErrno) {
  struct sched_param sp = {};
  sp.sched_priority = kFifoPriority;
  const int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
  if (fifoErrno) *fifoErrno = e;
  if (e == 0) return FaultThreadPolicy::Fifo;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kNice) == 0) return FaultThreadPolicy::Nice;
  return FaultThreadPolicy::Default;
}

FaultThreadPolicy probeFaultThreadPolicy(int* fifoErrno) {
  FaultThreadPolicy got = FaultThreadPolicy::Default;
  int e = 0;
  std::thread t([&] { got = raiseFaultThread(&e); });
  t.join();
  if (fifoErrno) *fifoErrno = e;
  return got;
}

void pinThread(uint64_t mask) {
  if (mask == 0) return;
  cpu_set_t set;
  rl_cpu_set_of_mask(mask, &set);
  (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

uint64_t threadCpuMask() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) != 0) return 0;
  uint64_t mask = 0;
  for (int i = 0; i < 64; i++)
    if (CPU_ISSET(i, &set)) mask |= 1ull << i;
  return mask;
}

const char* faultThreadPolicyName(FaultThreadPolicy p) {
  switch (p) {
    case FaultThreadPolicy::Fifo:
      return "fifo";
    case FaultThreadPolicy::Nice:
      return "nice";
    default:
      return "default";
  }
}

}  // namespace restorelab
