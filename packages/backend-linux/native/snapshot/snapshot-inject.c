/*
 * A userfaultfd inside another process: userfaultfd(2) binds the new context to the caller's
 * memory, so the call is made by the target itself. With the target ptrace-stopped, one
 * `syscall` instruction is written at its instruction pointer, executed with single-step, and the
 * original bytes and registers are put back; the new fd is then taken over with pidfd_getfd and
 * closed in the target the same way. x86-64 only.
 */
#include "snapshot.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif

#if defined(__x86_64__)

/* Runs syscall `nr` with up to three arguments in the stopped tracee; returns its result. */
static long remote_syscall(pid_t pid, long nr, long a0, long a1, long a2, char *err, size_t errlen) {
  struct user_regs_struct saved, regs;
  if (ptrace(PTRACE_GETREGS, pid, 0, &saved) != 0) {
    snprintf(err, errlen, "cannot read the registers of process %d: %s", pid, strerror(errno));
    return -ENOSYS;
  }
  errno = 0;
  const long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)saved.rip, 0);
  if (errno != 0) {
    snprintf(err, errlen, "cannot read the code of process %d: %s", pid, strerror(errno));
    return -ENOSYS;
  }
  /* syscall (0f 05) in the low bytes, the rest of the word as it was */
  const long patched = (long)(((unsigned long)word & ~0xffffUL) | 0x050fUL);
  if (ptrace(PTRACE_POKETEXT, pid, (void *)saved.rip, (void *)patched) != 0) {
    snprintf(err, errlen, "cannot patch the code of process %d: %s", pid, strerror(errno));
    return -ENOSYS;
  }
  regs = saved;
  regs.rax = (unsigned long)nr;
  regs.rdi = (unsigned long)a0;
  regs.rsi = (unsigned long)a1;
  regs.rdx = (unsigned long)a2;
  /* not inside a syscall: no restart logic may rewrite rip or rax on the way out */
  regs.orig_rax = (unsigned long)-1;
  long result = -ENOSYS;
  int status = 0;
  /* the step ends in a SIGTRAP; another stop reported first (a pending group stop) is stepped again */
  int stepped = 0;
  if (ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0)
    for (int i = 0; i < 8 && !stepped; i++) {
      if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0 || waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) break;
      stepped = WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0;
    }
  if (!stepped) {
    snprintf(err, errlen, "cannot run a system call in process %d: %s", pid, errno ? strerror(errno) : "it did not step");
  } else if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0) {
    snprintf(err, errlen, "cannot read the registers of process %d: %s", pid, strerror(errno));
  } else {
    result = (long)regs.rax;
  }
  (void)ptrace(PTRACE_POKETEXT, pid, (void *)saved.rip, (void *)word);
  (void)ptrace(PTRACE_SETREGS, pid, 0, &saved);
  return result;
}

int snapshot_take_uffd(pid_t pid, int flags, char *err, size_t errlen) {
  const long remote = remote_syscall(pid, __NR_userfaultfd, flags, 0, 0, err, errlen);
  if (remote < 0) {
    if (err[0] == '\0') snprintf(err, errlen, "userfaultfd() in process %d failed: %s", pid, strerror((int)-remote));
    return -1;
  }
  const int pidfd = (int)syscall(__NR_pidfd_open, pid, 0);
  int fd = -1;
  if (pidfd < 0) {
    snprintf(err, errlen, "pidfd_open(%d): %s", pid, strerror(errno));
  } else {
    fd = (int)syscall(__NR_pidfd_getfd, pidfd, (int)remote, 0);
    if (fd < 0) snprintf(err, errlen, "pidfd_getfd of process %d's userfaultfd: %s", pid, strerror(errno));
    close(pidfd);
  }
  char ignored[8];
  (void)remote_syscall(pid, __NR_close, remote, 0, 0, ignored, sizeof ignored);
  return fd;
}

#else

int snapshot_take_uffd(pid_t pid, int flags, char *err, size_t errlen) {
  (void)pid;
  (void)flags;
  snprintf(err, errlen, "live snapshots need x86-64 (the userfaultfd is made inside the process by an injected system call)");
  return -1;
}

#endif
