/*
 * The destination's side of the pre-copy rounds (plan-format.h, "Pre-copy rounds"): between its
 * prefill and the collapse, the runner tells the live source where its VMAs are, lets it write the
 * rounds into its memory, records what the source reports, and drops the pages the source wrote
 * after they were sent. Before registration, so a dropped page is simply missing again and faults.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "runner.h"

static void write_dest_vmas(struct runner_proc *p) {
  struct iovec part = {p->addr, p->pp->nvmas * sizeof *p->addr};
  runner_write_file(p, RL_DEST_VMAS_FILE, &part, 1);
}

static int connect_source(struct runner_proc *p) {
  struct sockaddr_un addr;
  if (!runner_socket_addr(&addr, RL_PRECOPY_SOCKET_FILE)) runner_fail(p, "run directory path too long for a unix socket: %s", g_files.dir);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) runner_fail(p, "socket: %s", strerror(errno));
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) runner_fail(p, "cannot connect to the pre-copy source: %s", strerror(errno));
  return fd;
}

static void discard_run(struct runner_proc *p, uint64_t page, uint64_t count, double t) {
  if (count == 0 || page >= p->pp->total_pages || count > p->pp->total_pages - page)
    runner_fail(p, "the pre-copy source asked to drop pages %llu+%llu of %llu", (unsigned long long)page, (unsigned long long)count,
                (unsigned long long)p->pp->total_pages);
  const uint8_t *a = runner_page_addr(p, page);
  const uint8_t *last = runner_page_addr(p, page + count - 1);
  if (last != a + (count - 1) * g_files.hdr->page_size) runner_fail(p, "the pre-copy source's run %llu+%llu crosses a VMA", (unsigned long long)page, (unsigned long long)count);
  if (madvise((void *)a, count * g_files.hdr->page_size, MADV_DONTNEED) != 0) runner_fail(p, "MADV_DONTNEED of pages the source wrote failed: %s", strerror(errno));
  memset(p->present + page, 0, count);
  runner_fact_at(p, t, RL_PHASE_FILL, 0, RL_EV_PAGES_DISCARDED, p->pp->pid, (double)page, (double)count, 0, 0);
}

/* Round 1 sent every content page: they are present now, one fact per run of them. */
static void record_first_round(struct runner_proc *p, double t) {
  const uint64_t n = p->pp->total_pages;
  uint64_t run = 0;
  for (uint64_t pg = 0; pg <= n; pg++) {
    int on = pg < n && (p->flags[pg] & RL_PAGE_CONTENT);
    if (on) p->present[pg] = 1;
    if (on && run == 0) run = pg + 1;
    if (!on && run) {
      runner_fact_at(p, t, RL_PHASE_FILL, 0, RL_EV_PAGES_PREFILLED, p->pp->pid, (double)(run - 1), (double)(pg - run + 1), RL_PREFILL_PRECOPY_ROUND, 0);
      run = 0;
    }
  }
}

void runner_receive_precopy(struct runner_proc *p) {
  if (g_files.hdr->nprocs != 1) runner_fail(p, "pre-copy rounds need a single-process plan");
  write_dest_vmas(p);
  int fd = connect_source(p);
  struct rl_precopy_msg m;
  memset(&m, 0, sizeof m);
  m.type = RL_PRECOPY_HELLO;
  m.os_pid = getpid();
  if (send(fd, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m) runner_fail(p, "cannot talk to the pre-copy source: %s", strerror(errno));
  for (;;) {
    ssize_t got = recv(fd, &m, sizeof m, 0);
    if (got == 0) runner_fail(p, "the pre-copy source went away before the switch-over; the restore is abandoned");
    if (got < 0) {
      if (errno == EINTR) continue;
      runner_fail(p, "reading from the pre-copy source: %s", strerror(errno));
    }
    if (got != (ssize_t)sizeof m) runner_fail(p, "the pre-copy source sent a message of %zd bytes", got);
    switch (m.type) {
      case RL_PRECOPY_ROUND:
        if (m.round == 1) record_first_round(p, m.t);
        runner_fact_at(p, m.t, RL_PHASE_FILL, 0, RL_EV_PRECOPY_ROUND, p->pp->pid, m.round, (double)m.sent, (double)m.dirty, m.ns);
        break;
      case RL_PRECOPY_SWITCH:
        runner_fact_at(p, m.t, RL_PHASE_FILL, 0, RL_EV_SWITCH_OVER, p->pp->pid, m.round, (double)m.dirty, m.reason, m.passes);
        break;
      case RL_PRECOPY_DISCARD:
        if (m.nruns > RL_PRECOPY_RUNS_PER_MSG) runner_fail(p, "the pre-copy source sent %u runs in one message", m.nruns);
        for (uint32_t i = 0; i < m.nruns; i++) discard_run(p, m.runs[2 * i], m.runs[2 * i + 1], runner_now());
        break;
      case RL_PRECOPY_END:
        m.type = RL_PRECOPY_DONE;
        if (send(fd, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m) runner_fail(p, "cannot talk to the pre-copy source: %s", strerror(errno));
        close(fd);
        return;
      default:
        runner_fail(p, "the pre-copy source sent message type %u", m.type);
    }
  }
}
