/*
 * restorelab-guardian: the fail-stop half of `restorelab criu-lazy-pages`. It holds a duplicate
 * of every restored task's userfaultfd (so a dead daemon leaves faults blocked instead of the
 * registrations dropped and zero pages mapped) and, when the daemon's connection ends without
 * RL_GUARD_RELEASE (the daemon died or gave up), stops and kills every task and its descendants
 * before any of them can run on, removes the daemon's run directory (argv[1]: a daemon killed with
 * SIGKILL cannot), then exits 1. Protocol: native/common/criu-lazy-protocol.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/criu-lazy-protocol.h"
#include "../common/fd-passing.h"
#include "../common/plan-format.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define MAX_TASKS 4096
#define KILL_WAIT_MS 5000

struct task {
  int pid;
  int pidfd;
  int uffd;
};

static struct task tasks[MAX_TASKS];
static int ntasks;

static void signal_task(const struct task* t, int sig) {
  if (t->pidfd >= 0) (void)syscall(SYS_pidfd_send_signal, t->pidfd, sig, NULL, 0);
  else (void)kill(t->pid, sig);
}

/* SIGSTOP (then SIGKILL) pid's descendants, depth first, before pid itself is killed */
static void signal_descendants(int pid, int sig, int depth) {
  if (depth > 64) return;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR* d = opendir(path);
  if (!d) return;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char cpath[320];
    snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", pid, e->d_name);
    FILE* f = fopen(cpath, "r");
    if (!f) continue;
    int child;
    while (fscanf(f, "%d", &child) == 1) {
      (void)kill(child, sig);
      signal_descendants(child, sig, depth + 1);
    }
    fclose(f);
  }
  closedir(d);
}

static void kill_all(void) {
  for (int i = 0; i < ntasks; i++) signal_task(&tasks[i], SIGSTOP);
  for (int i = 0; i < ntasks; i++) signal_descendants(tasks[i].pid, SIGSTOP, 0);
  for (int i = 0; i < ntasks; i++) signal_descendants(tasks[i].pid, SIGKILL, 0);
  for (int i = 0; i < ntasks; i++) signal_task(&tasks[i], SIGKILL);
  /* the uffds stay open until the tasks are gone: none of them runs again */
  for (int i = 0; i < ntasks; i++) {
    if (tasks[i].pidfd < 0) continue;
    struct pollfd p = {tasks[i].pidfd, POLLIN, 0};
    (void)poll(&p, 1, KILL_WAIT_MS);
  }
}

static void drop(int i) {
  if (tasks[i].uffd >= 0) close(tasks[i].uffd);
  if (tasks[i].pidfd >= 0) close(tasks[i].pidfd);
  tasks[i] = tasks[--ntasks];
}

/* The daemon's run directory holds its plan only; anything else in it keeps it (rmdir fails). */
static void remove_run_dir(const char *dir) {
  if (!dir) return;
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", dir, RL_PLAN_FILE) < (int)sizeof path) (void)unlink(path);
  (void)rmdir(dir);
}

int main(int argc, char **argv) {
  const char *run_dir = argc > 1 ? argv[1] : NULL;
  /* only SIGKILL ends it: a ^C or a SIGTERM meant for the daemon must not free the tasks */
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  (void)setsid();
  for (;;) {
    struct rl_guard_msg m;
    int fd;
    ssize_t n = rl_recv_with_fd(RL_GUARD_FD, &m, sizeof m, 0, &fd);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || (size_t)n < sizeof m) {
      if (fd >= 0) close(fd);
      remove_run_dir(run_dir);
      if (ntasks == 0) return 0;
      kill_all();
      fprintf(stderr, "restorelab-guardian: the lazy-pages daemon went away before the restore ended; killed");
      for (int i = 0; i < ntasks; i++) fprintf(stderr, " %d", tasks[i].pid);
      fprintf(stderr, " (and what they forked) so that none runs on a page it does not have\n");
      return 1;
    }
    if (m.type == RL_GUARD_TASK || m.type == RL_GUARD_FORKED) {
      if (fd < 0) continue;
      if (ntasks == MAX_TASKS) {
        /* cannot guard it: the daemon hears of it by the closed connection */
        close(fd);
        kill_all();
        return 1;
      }
      /* a forked child's pid is not known: it is killed among its parent's descendants */
      tasks[ntasks].pid = m.pid;
      tasks[ntasks].pidfd = m.type == RL_GUARD_TASK ? (int)syscall(SYS_pidfd_open, m.pid, 0) : -1;
      tasks[ntasks].uffd = fd;
      ntasks++;
    } else if (m.type == RL_GUARD_TASK_DONE) {
      if (fd >= 0) close(fd);
      for (int i = 0; i < ntasks; i++)
        if (tasks[i].pid == m.pid) {
          drop(i);
          break;
        }
    } else if (m.type == RL_GUARD_RELEASE) {
      if (fd >= 0) close(fd);
      while (ntasks > 0) drop(ntasks - 1);
      return 0;
    } else if (fd >= 0) {
      close(fd);
    }
  }
}
