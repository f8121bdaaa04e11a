/*
 * The connection to the monitor (page server). The runner keeps its own userfaultfd open for its
 * whole life: if the monitor dies, the registration stays and a missing page blocks the faulting
 * thread instead of reading as zeros; the watcher thread sees the connection hang up and exits.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/fd-passing.h"
#include "runner.h"

static volatile int g_done_sent;
static int g_exit_pipe[2] = {-1, -1};

static void monitor_gone(struct runner_proc *p, const char *how) __attribute__((noreturn));

/*
 * The monitor cannot clean up after itself when it was killed: the root process removes the run
 * directory (only the files the run puts there) so nothing is left behind.
 */
void runner_remove_run_dir(void) {
  DIR *d = opendir(g_files.dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    int ours = !strcmp(n, RL_PLAN_FILE) || !strcmp(n, RL_PAGES_FILE) || !strcmp(n, RL_SOCKET_FILE) || !strcmp(n, RL_PROGRESS_FILE) ||
               !strcmp(n, RL_PRECOPY_SOCKET_FILE) || !strcmp(n, RL_SOURCE_TRACE_FILE) || !strcmp(n, RL_DEST_VMAS_FILE) ||
               !strncmp(n, "trace-", 6) || !strncmp(n, "start-", 6) || !strncmp(n, "done-", 5);
    if (ours) unlinkat(dirfd(d), n, 0);
  }
  closedir(d);
  rmdir(g_files.dir);
}

static void monitor_gone(struct runner_proc *p, const char *how) {
  if (g_done_sent) _exit(0);
  if (p->idx == 0) runner_remove_run_dir();
  char line[512];
  int n = snprintf(line, sizeof line,
                   "restorelab-runner: page server went away (%s) before the restore of pid %d was complete; "
                   "aborting so the process never runs on pages that were not restored\n",
                   how, p->pp->pid);
  if (n > 0) {
    ssize_t w = write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)w;
  }
  _exit(RUNNER_EXIT_MONITOR_GONE);
}

int runner_socket_addr(struct sockaddr_un *addr, const char *file) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  int n = snprintf(addr->sun_path, sizeof addr->sun_path, "%s/%s", g_files.dir, file);
  return n >= 0 && (size_t)n < sizeof addr->sun_path;
}

void runner_connect(struct runner_proc *p) {
  struct sockaddr_un addr;
  if (!runner_socket_addr(&addr, RL_SOCKET_FILE)) runner_fail(p, "run directory path too long for a unix socket: %s", g_files.dir);
  p->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (p->sock < 0) runner_fail(p, "socket: %s", strerror(errno));
  if (connect(p->sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int e = errno;
    close(p->sock);
    p->sock = -1;
    if (e == ECONNREFUSED || e == ENOENT) monitor_gone(p, "nobody listens on its socket");
    runner_fail(p, "cannot connect to the monitor at %s: %s", addr.sun_path, strerror(e));
  }
}

void runner_write_file(struct runner_proc *p, const char *name, const struct iovec *parts, int nparts) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", g_files.dir, name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) runner_fail(p, "cannot write %s: %s", path, strerror(errno));
  for (int i = 0; i < nparts; i++) {
    const uint8_t *q = parts[i].iov_base;
    size_t left = parts[i].iov_len;
    while (left > 0) {
      ssize_t w = write(fd, q, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) runner_fail(p, "cannot write %s: %s", path, strerror(errno));
      q += w;
      left -= (size_t)w;
    }
  }
  close(fd);
}

static void send_msg(struct runner_proc *p, struct rl_msg *m, int fd) {
  m->proc = p->idx;
  m->os_pid = getpid();
  while (rl_send_with_fd(p->sock, m, sizeof *m, fd, MSG_NOSIGNAL) < 0) {
    if (errno == EINTR) continue;
    monitor_gone(p, "sending to it failed");
  }
}

void runner_send_hello(struct runner_proc *p) {
  struct rl_start_header h;
  memset(&h, 0, sizeof h);
  h.magic = RL_START_MAGIC;
  h.version = RL_FORMAT_VERSION;
  h.proc = p->idx;
  h.os_pid = getpid();
  h.nvmas = p->pp->nvmas;
  h.nfacts = p->nfacts;
  h.uffd_via = p->uffd_via;
  h.uffd_features = p->uffd_features;
  char name[64];
  snprintf(name, sizeof name, "start-%u.bin", p->idx);
  const struct iovec parts[] = {
      {&h, sizeof h},
      {p->addr, p->pp->nvmas * sizeof *p->addr},
      {p->facts, p->nfacts * sizeof *p->facts},
      {p->cache, p->cache ? p->pp->nvmas * sizeof *p->cache : 0},
      {p->cache_same, p->cache_same ? p->pp->total_pages : 0},
  };
  runner_write_file(p, name, parts, 5);
  struct rl_msg m;
  memset(&m, 0, sizeof m);
  if (p->cache_fd >= 0) {
    m.type = RL_MSG_CACHE;
    send_msg(p, &m, p->cache_fd);
  }
  if (p->mover_fd >= 0) {
    m.type = RL_MSG_MOVER;
    send_msg(p, &m, p->mover_fd);
    close(p->mover_fd);
    p->mover_fd = -1;
  }
  m.type = RL_MSG_HELLO;
  m.arg0 = p->staging;
  m.t = runner_now();
  send_msg(p, &m, p->uffd);
}

/* One message from the monitor; returns its type (0: the connection is gone). */
static uint32_t handle_one(struct runner_proc *p) {
  struct rl_msg m;
  ssize_t n;
  do n = recv(p->sock, &m, sizeof m, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;
  if ((size_t)n < sizeof m) return 0;
  if (m.type == RL_MSG_MADVISE) {
    struct rl_msg r;
    memset(&r, 0, sizeof r);
    r.type = RL_MSG_MADVISE_DONE;
    r.arg0 = m.arg0;
    r.arg1 = m.arg1;
    r.status = runner_madvise_thp(p, (uint32_t)m.arg0, (uint32_t)m.arg1);
    r.t = runner_now();
    send_msg(p, &r, -1);
  }
  return m.type;
}

/* SIGCHLD as a descriptor, in a process that forks: a child that dies before it could tell the monitor. */
static int g_child_signals = -1;

void runner_watch_children(struct runner_proc *p) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &s, NULL) != 0) runner_fail(p, "sigprocmask: %s", strerror(errno));
  g_child_signals = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
  if (g_child_signals < 0) runner_fail(p, "signalfd: %s", strerror(errno));
}

/*
 * A child that died before the workload could start (killed before it connected, or failed in a
 * way it could not report) would leave the tree waiting for its hello: fail the restore instead.
 */
static void check_children(struct runner_proc *p) {
  struct signalfd_siginfo si;
  while (read(g_child_signals, &si, sizeof si) == (ssize_t)sizeof si) {
  }
  int st;
  pid_t c;
  while ((c = waitpid(-1, &st, WNOHANG)) > 0) {
    if (WIFSIGNALED(st)) runner_fail(p, "a process it forked (os pid %d) was killed by signal %d before the workload started", (int)c, WTERMSIG(st));
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
      runner_fail(p, "a process it forked (os pid %d) exited with code %d before the workload started", (int)c, WEXITSTATUS(st));
  }
}

void runner_wait_go(struct runner_proc *p) {
  for (;;) {
    if (g_child_signals >= 0) {
      struct pollfd pf[2] = {{p->sock, POLLIN | POLLRDHUP, 0}, {g_child_signals, POLLIN, 0}};
      int r = poll(pf, 2, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) monitor_gone(p, "poll on its connection failed");
      if (pf[1].revents & POLLIN) check_children(p);
      if (pf[0].revents == 0) continue;
    }
    uint32_t t = handle_one(p);
    if (t == 0) monitor_gone(p, "its connection closed");
    if (t == RL_MSG_GO) return;
    if (t == RL_MSG_EXIT) _exit(0);
  }
}

static void *watch(void *arg) {
  struct runner_proc *p = arg;
  for (;;) {
    struct pollfd pfd = {p->sock, POLLIN | POLLRDHUP, 0};
    int r = poll(&pfd, 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) monitor_gone(p, "poll on its connection failed");
    if (pfd.revents & POLLIN) {
      uint32_t t = handle_one(p);
      if (t == 0) monitor_gone(p, "its connection closed");
      if (t == RL_MSG_EXIT) {
        char c = 1;
        ssize_t w = write(g_exit_pipe[1], &c, 1);
        (void)w;
        return NULL;
      }
      continue;
    }
    if (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) monitor_gone(p, "its connection closed");
  }
}

void runner_start_watcher(struct runner_proc *p) {
  if (pipe2(g_exit_pipe, O_CLOEXEC) != 0) runner_fail(p, "pipe: %s", strerror(errno));
  pthread_t th;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  int e = pthread_create(&th, &attr, watch, p);
  if (e != 0) runner_fail(p, "cannot start the watcher thread: %s", strerror(e));
}

void runner_send_done(struct runner_proc *p) {
  struct rl_msg m;
  memset(&m, 0, sizeof m);
  m.type = RL_MSG_DONE;
  m.t = runner_now();
  send_msg(p, &m, -1);
  g_done_sent = 1;
}

void runner_wait_exit(struct runner_proc *p) {
  (void)p;
  char c;
  while (read(g_exit_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
}
