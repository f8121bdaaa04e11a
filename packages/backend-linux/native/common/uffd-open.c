#define _GNU_SOURCE
#include "uffd-open.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uffd-compat.h"

int rl_uffd_open(int flags, struct rl_uffd_attempt *out) {
  struct rl_uffd_attempt a;
  memset(&a, 0, sizeof a);
  a.fd = -1;
#ifdef __NR_userfaultfd
  a.fd = (int)syscall(__NR_userfaultfd, flags);
  if (a.fd >= 0) {
    a.via = RL_UFFD_SYSCALL;
  } else {
    a.syscall_errno = errno;
    a.fd = (int)syscall(__NR_userfaultfd, flags | UFFD_USER_MODE_ONLY);
    if (a.fd >= 0) a.via = RL_UFFD_SYSCALL_USER_ONLY;
    else a.user_only_errno = errno;
  }
#else
  a.syscall_errno = ENOSYS;
  a.user_only_errno = ENOSYS;
#endif
  if (a.fd < 0) {
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
      a.device_errno = errno;
    } else {
      a.fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
      if (a.fd >= 0) a.via = RL_UFFD_DEVICE;
      else a.device_errno = errno;
      close(dev);
    }
  }
  if (out) *out = a;
  return a.fd;
}

int rl_uffd_api(int fd, uint64_t want, uint64_t *features, uint64_t *ioctls) {
  struct uffdio_api api;
  memset(&api, 0, sizeof api);
  api.api = UFFD_API;
  api.features = want;
  if (ioctl(fd, UFFDIO_API, &api) < 0) return -1;
  if (features) *features = api.features;
  if (ioctls) *ioctls = api.ioctls;
  return 0;
}

int rl_uffd_supported_features(uint64_t *features, struct rl_uffd_attempt *attempt) {
  int fd = rl_uffd_open(O_CLOEXEC | O_NONBLOCK, attempt);
  if (fd < 0) return -1;
  int rc = rl_uffd_api(fd, 0, features, 0);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}
