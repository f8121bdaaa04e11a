/* CPU masks as the plan and the monitor's config carry them: bit i is CPU i (CPUs 0..63). */
#ifndef RESTORELAB_CPU_MASK_H
#define RESTORELAB_CPU_MASK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdint.h>

static inline void rl_cpu_set_of_mask(uint64_t mask, cpu_set_t *set) {
  CPU_ZERO(set);
  for (int i = 0; i < 64; i++)
    if (mask >> i & 1) CPU_SET(i, set);
}

#endif
