/* The copy engines' side of the restored address space: continue's memfd, move's staging area. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/uffd-compat.h"
#include "runner.h"

uint32_t runner_engine(void) { return g_files.hdr->flags & (RL_PLAN_ENGINE_CONTINUE | RL_PLAN_ENGINE_MOVE); }

int runner_cache_fd(struct runner_proc *p) {
  if (runner_engine() != RL_PLAN_ENGINE_CONTINUE) return -1;
  if (p->cache_fd >= 0) return p->cache_fd;
  p->cache_fd = memfd_create("restorelab-pages", MFD_CLOEXEC);
  if (p->cache_fd < 0) runner_fail(p, "memfd_create for the continue copy engine failed: %s", strerror(errno));
  if (ftruncate(p->cache_fd, (off_t)(p->pp->total_pages * g_files.hdr->page_size)) != 0)
    runner_fail(p, "cannot size the continue engine's memfd to %llu pages: %s", (unsigned long long)p->pp->total_pages, strerror(errno));
  return p->cache_fd;
}

static void map_staging(struct runner_proc *p) {
  size_t len = (size_t)p->pp->total_pages * g_files.hdr->page_size;
  void *m = mmap(NULL, len ? len : g_files.hdr->page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) runner_fail(p, "cannot map the move engine's staging area of %zu bytes: %s", len, strerror(errno));
  /* pages move one by one, as UFFDIO_COPY would place them: no huge page forms in the staging area */
  (void)madvise(m, len, MADV_NOHUGEPAGE);
  p->staging = (uint64_t)m;
}

struct mover {
  int sock;
  int uffd;
};

/* Makes the monitor's UFFDIO_MOVE calls until its end of the socket closes. */
static void *mover_main(void *arg) {
  struct mover *mv = arg;
  struct rl_move_request rq;
  for (;;) {
    ssize_t n = recv(mv->sock, &rq, sizeof rq, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n != (ssize_t)sizeof rq) break;
    struct uffdio_move m = {rq.dst, rq.src, rq.len, rq.mode, 0};
    struct rl_move_reply r = {0, 0, 0};
    if (ioctl(mv->uffd, UFFDIO_MOVE, &m) != 0) r.err = errno;
    r.moved = r.err ? m.move : (int64_t)rq.len;
    while (send(mv->sock, &r, sizeof r, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
  }
  close(mv->sock);
  return NULL;
}

void runner_start_mover(struct runner_proc *p) {
  p->mover_fd = -1;
  if (runner_engine() != RL_PLAN_ENGINE_MOVE) return;
  map_staging(p);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) runner_fail(p, "socketpair for the mover thread: %s", strerror(errno));
  static struct mover mv;
  mv.sock = sv[0];
  mv.uffd = p->uffd;
  pthread_t th;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  int e = pthread_create(&th, &attr, mover_main, &mv);
  if (e != 0) runner_fail(p, "cannot start the mover thread: %s", strerror(e));
  p->mover_fd = sv[1];
}

uint64_t runner_register_mode(void) {
  return UFFDIO_REGISTER_MODE_MISSING | (runner_engine() == RL_PLAN_ENGINE_CONTINUE ? UFFDIO_REGISTER_MODE_MINOR : 0);
}

void runner_check_engine_features(struct runner_proc *p) {
  if (runner_engine() == RL_PLAN_ENGINE_CONTINUE && !(p->uffd_features & UFFD_FEATURE_MINOR_SHMEM))
    runner_fail(p, "this kernel's userfaultfd has no UFFD_FEATURE_MINOR_SHMEM: the continue copy engine needs Linux 5.14+");
  if (runner_engine() == RL_PLAN_ENGINE_MOVE && !(p->uffd_features & UFFD_FEATURE_MOVE))
    runner_fail(p, "this kernel's userfaultfd has no UFFD_FEATURE_MOVE: the move copy engine needs Linux 6.8+");
}
