/** What a restore can be asked to build, on either backend (docs/image-format.md, "Rules every restored image obeys"). */
export const IMAGE_LIMITS = {
  /** Linux's PID_MAX_LIMIT on 64-bit: a pid above it cannot exist (and would not fit the plan). */
  maxPid: 4 * 1024 * 1024,
  maxProcesses: 1024,
  /** vm.max_map_count's default: a process with more VMAs cannot be mapped. */
  maxVmasPerProcess: 65530,
  /**
   * Pages of all processes together: 256 GiB of memory (a generator's most pages per process). It
   * also bounds what a log read from a file can make its folds hold.
   */
  maxTotalPages: 2 ** 26,
  /** The lowest address a VMA may start at: the largest mmap_min_addr a distribution sets. */
  minAddress: 0x10000,
  /** The end of the user half of x86-64's 47-bit address space (the top page is never mapped). */
  userTop: 0x7ffffffff000,
} as const;
