// Scheduling of the monitor's threads. The demand path's thread goes before everything else on its CPU: SCHED_FIFO when this process
// may (root or CAP_SYS_NICE or an RLIMIT_RTPRIO), else the highest nice it may take. Without it, on
// a small machine the fault thread waits behind the JavaScript event loop and the copier, and a
// fault's latency measures the scheduler, not the restore.
#ifndef RESTORELAB_THREAD_PRIORITY_H
#define RESTORELAB_THREAD_PRIORITY_H

#include <cstdint>

namespace restorelab {

enum class FaultThreadPolicy { Default = 0, Nice = 1, Fifo = 2 };

// Raises the calling thread; returns what it got. `fifoErrno` gets why SCHED_FIFO was refused.
FaultThreadPolicy raiseFaultThread(int* fifoErrno);

// What raiseFaultThread would get, tried on a short-lived thread (for the doctor).
FaultThreadPolicy probeFaultThreadPolicy(int* fifoErrno);

const char* faultThreadPolicyName(FaultThreadPolicy p);

// Keeps the calling thread on the CPUs of `mask` (bit i: CPU i); 0 leaves it alone. Best effort.
void pinThread(uint64_t mask);

// The CPUs (up to 64) the calling thread may run on now, as a mask; 0 if unknown.
uint64_t threadCpuMask();

}  // namespace restorelab

#endif
