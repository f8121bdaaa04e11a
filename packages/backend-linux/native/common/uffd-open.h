/* Opening a userfaultfd the way the kernel allows it, and the UFFDIO_API handshake. */
#ifndef RESTORELAB_UFFD_OPEN_H
#define RESTORELAB_UFFD_OPEN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rl_uffd_via {
  RL_UFFD_NONE = 0,
  /* userfaultfd(2) */
  RL_UFFD_SYSCALL = 1,
  /* userfaultfd(2) with UFFD_USER_MODE_ONLY (allowed when vm.unprivileged_userfaultfd is 0) */
  RL_UFFD_SYSCALL_USER_ONLY = 2,
  /* open("/dev/userfaultfd") + USERFAULTFD_IOC_NEW */
  RL_UFFD_DEVICE = 3,
};

struct rl_uffd_attempt {
  int fd;
  int via;
  int syscall_errno;
  int user_only_errno;
  int device_errno;
};

/* Tries the syscall, the syscall in user-mode-only, then the device. Returns the fd or -1. */
int rl_uffd_open(int flags, struct rl_uffd_attempt *out);

/*
 * UFFDIO_API asking for `want` (0: ask for nothing, learn everything supported).
 * On success *features is what the kernel granted (or supports, when want is 0).
 */
int rl_uffd_api(int fd, uint64_t want, uint64_t *features, uint64_t *ioctls);

/* The features this kernel supports, through a throwaway uffd; -1 when none could be opened. */
int rl_uffd_supported_features(uint64_t *features, struct rl_uffd_attempt *attempt);

#ifdef __cplusplus
}
#endif

#endif
