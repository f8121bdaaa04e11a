/* The restored address space: mapping, THP advice, prefill, collapse, fork inheritance, uffd registration. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../common/uffd-compat.h"
#include "../common/uffd-open.h"
#include "runner.h"

#define HUGE_BYTES (2ull << 20)

static size_t page_size(void) { return g_files.hdr->page_size; }

static size_t vma_bytes(const struct rl_plan_vma *v) { return (size_t)v->pages * page_size(); }

/*
 * Maps `len` bytes at `want` when that range is free, else somewhere else with the same offset
 * within 2 MiB, so which pages share a huge page is what the image says.
 */
static uint64_t place(struct runner_proc *p, uint64_t want, size_t len, int fd, uint64_t offset, int hugetlb) {
  /* a hugetlb VMA reserves its huge pages at mmap (ENOMEM now rather than SIGBUS at a fault) */
  const int flags = hugetlb ? MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB : MAP_PRIVATE | MAP_NORESERVE | (fd < 0 ? MAP_ANONYMOUS : 0);
  void *m = mmap((void *)want, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED_NOREPLACE, fd, (off_t)offset);
  if (m != MAP_FAILED && (uint64_t)m == want) return want;
  if (m != MAP_FAILED) munmap(m, len);
  size_t span = len + HUGE_BYTES;
  void *r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) runner_fail(p, "cannot reserve %zu bytes for a VMA: %s", len, strerror(errno));
  uint64_t base = (uint64_t)r;
  uint64_t a = (base & ~(HUGE_BYTES - 1)) + (want & (HUGE_BYTES - 1));
  if (a < base) a += HUGE_BYTES;
  void *got = mmap((void *)a, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, (off_t)offset);
  if (got == MAP_FAILED) runner_fail(p, "cannot map a %sVMA of %zu bytes: %s", hugetlb ? "hugetlb " : "", len, strerror(errno));
  if (a > base) munmap(r, a - base);
  if (base + span > a + len) munmap((void *)(a + len), base + span - (a + len));
  return a;
}

static int thp_madvise(uint64_t addr, size_t len, uint32_t advice) {
  if (advice == RL_THP_HUGEPAGE) return madvise((void *)addr, len, MADV_HUGEPAGE);
  if (advice == RL_THP_NOHUGEPAGE) return madvise((void *)addr, len, MADV_NOHUGEPAGE);
  return 0;
}

/* A VMA of its own: anonymous (of hugetlbfs pages when hugetlb), or (engine continue) a private
   mapping of its pages in its memfd. */
static void map_one(struct runner_proc *p, uint32_t i) {
  const struct rl_plan_vma *v = &p->vmas[i];
  const int fd = v->hugetlb ? -1 : runner_cache_fd(p);
  p->addr[i] = place(p, v->start, vma_bytes(v), fd, v->first_page * page_size(), v->hugetlb);
  if (fd >= 0) {
    p->cache[i].proc = p->idx;
    p->cache[i].first_page = v->first_page;
    memset(p->cache_same + v->first_page, 1, v->pages);
  }
  p->advice[i] = RL_THP_DEFAULT;
  if (v->thp != RL_THP_DEFAULT && thp_madvise(p->addr[i], vma_bytes(v), v->thp) == 0) p->advice[i] = v->thp;
}

void runner_map_fresh(struct runner_proc *p) {
  for (uint32_t i = 0; i < p->pp->nvmas; i++) map_one(p, i);
}

uint8_t *runner_page_addr(const struct runner_proc *p, uint64_t page) {
  uint32_t lo = 0, hi = p->pp->nvmas;
  while (lo + 1 < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (p->vmas[mid].first_page <= page) lo = mid;
    else hi = mid;
  }
  return (uint8_t *)(p->addr[lo] + (page - p->vmas[lo].first_page) * page_size());
}

const uint8_t *runner_image_page(const struct runner_proc *p, uint64_t page) {
  return g_files.blob + p->pp->blob_offset + page * page_size();
}

/*
 * THP advice on one VMA. 'default' cannot be restored once a VMA has hugepage or nohugepage
 * (madvise has no call that clears both): that step fails unless the VMA already is default.
 */
int runner_madvise_thp(struct runner_proc *p, uint32_t vma, uint32_t advice) {
  if (vma >= p->pp->nvmas) return 0;
  if (advice == RL_THP_DEFAULT) return p->advice[vma] == RL_THP_DEFAULT;
  if (thp_madvise(p->addr[vma], vma_bytes(&p->vmas[vma]), advice) != 0) return 0;
  p->advice[vma] = (uint8_t)advice;
  return 1;
}

static void advise_steps(struct runner_proc *p, uint64_t off, uint32_t n, int phase) {
  const struct rl_plan_advice *steps = (const struct rl_plan_advice *)(g_files.plan_base + off);
  for (uint32_t i = 0; i < n; i++) {
    if (steps[i].proc != p->idx) continue;
    int ok = runner_madvise_thp(p, steps[i].vma, steps[i].advice);
    runner_fact(p, phase, 0, RL_EV_MADVISE_APPLIED, p->pp->pid, steps[i].vma, steps[i].advice, ok, 0);
  }
}

void runner_advise_before_fill(struct runner_proc *p) {
  advise_steps(p, g_files.hdr->advise_before_off, g_files.hdr->n_advise_before, RL_PHASE_FILL);
}

void runner_advise_after_register(struct runner_proc *p) {
  advise_steps(p, g_files.hdr->advise_after_off, g_files.hdr->n_advise_after, RL_PHASE_AFTER);
}

/*
 * Writes the plan's prefill pages, as CRIU's page restore does before registration. The kernel's
 * fault-time huge page allocation is off meanwhile (PR_SET_THP_DISABLE): huge pages appear only where
 * the image says khugepaged collapses (runner_collapse), as in the model.
 */
void runner_prefill(struct runner_proc *p) {
  const struct rl_plan_range *r = (const struct rl_plan_range *)(g_files.plan_base + g_files.hdr->prefill_off);
  const size_t ps = page_size();
  int thp_off = 0;
  for (uint32_t i = 0; i < g_files.hdr->n_prefill; i++) {
    if (r[i].proc != p->idx) continue;
    if (!thp_off) {
      thp_off = 1;
      prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    for (uint64_t pg = r[i].page; pg < r[i].page + r[i].count && pg < p->pp->total_pages; pg++) {
      uint8_t *a = runner_page_addr(p, pg);
      if (p->flags[pg] & RL_PAGE_CONTENT) memcpy(a, runner_image_page(p, pg), ps);
      else *(volatile uint8_t *)a = 0;
      p->present[pg] = 1;
    }
    runner_fact(p, RL_PHASE_FILL, 0, RL_EV_PAGES_PREFILLED, p->pp->pid, (double)r[i].page, (double)r[i].count, r[i].source, 0);
  }
  if (thp_off) prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
}

/*
 * khugepaged's work between prefill and registration (seed 001), done synchronously. Not with the
 * continue engine: its VMAs map a memfd, which khugepaged does not collapse (MADV_COLLAPSE says
 * EINVAL unless shmem huge pages are on).
 */
void runner_collapse(struct runner_proc *p) {
  const size_t ps = page_size();
  const uint64_t per_huge = HUGE_BYTES / ps;
  for (uint32_t i = 0; i < p->pp->nvmas && runner_engine() != RL_PLAN_ENGINE_CONTINUE; i++) {
    const struct rl_plan_vma *v = &p->vmas[i];
    if (!v->collapse || p->advice[i] != RL_THP_HUGEPAGE) continue;
    uint64_t start = p->addr[i], end = start + vma_bytes(v);
    for (uint64_t b = (start + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1); b + HUGE_BYTES <= end; b += HUGE_BYTES) {
      uint64_t first = v->first_page + (b - start) / ps;
      int any = 0;
      for (uint64_t k = 0; k < per_huge && !any; k++) any = p->present[first + k];
      if (!any) continue;
      if (madvise((void *)b, HUGE_BYTES, MADV_COLLAPSE) != 0) {
        fprintf(stderr, "restorelab-runner: pid %d: MADV_COLLAPSE of pages %llu+%llu failed: %s\n", p->pp->pid,
                (unsigned long long)first, (unsigned long long)per_huge, strerror(errno));
        continue;
      }
      memset(p->present + first, 1, per_huge);
      runner_fact(p, RL_PHASE_FILL, 0, RL_EV_HUGE_PAGE_COLLAPSED, p->pp->pid, i, (double)first, (double)per_huge, 0);
    }
  }
  for (uint32_t i = 0; i < p->pp->nvmas; i++) {
    if (!p->vmas[i].writable && mprotect((void *)p->addr[i], vma_bytes(&p->vmas[i]), PROT_READ) != 0)
      runner_fail(p, "mprotect of VMA %u failed: %s", i, strerror(errno));
  }
}

static void drop_run(struct runner_proc *p, uint64_t addr, uint64_t pages) {
  if (pages && madvise((void *)addr, pages * page_size(), MADV_DONTNEED) != 0)
    runner_fail(p, "MADV_DONTNEED of inherited pages failed: %s", strerror(errno));
}

/*
 * After fork: keep the parent's VMAs the child also has (same place in the image), drop every
 * inherited page the child does not share with its parent, unmap the rest, map the child's own.
 */
void runner_adopt_parent(struct runner_proc *c, const struct runner_proc *parent) {
  const size_t ps = page_size();
  uint8_t adopted[c->pp->nvmas + 1];
  memset(adopted, 0, sizeof adopted);
  for (uint32_t j = 0; j < parent->pp->nvmas; j++) {
    const struct rl_plan_vma *pv = &parent->vmas[j];
    uint32_t i = 0;
    while (i < c->pp->nvmas && (adopted[i] || c->vmas[i].start != pv->start || c->vmas[i].pages != pv->pages)) i++;
    if (i == c->pp->nvmas) {
      munmap((void *)parent->addr[j], vma_bytes(pv));
      continue;
    }
    adopted[i] = 1;
    const struct rl_plan_vma *cv = &c->vmas[i];
    c->addr[i] = parent->addr[j];
    c->advice[i] = parent->advice[j];
    if (runner_engine() == RL_PLAN_ENGINE_CONTINUE) c->cache[i] = parent->cache[j];
    uint64_t drop_from = 0, drop_n = 0;
    for (uint64_t k = 0; k < cv->pages; k++) {
      uint64_t cp = cv->first_page + k, pp = pv->first_page + k;
      int had = parent->present[pp];
      int keep = had && (c->flags[cp] & RL_PAGE_SHARED_WITH_PARENT);
      if (keep) c->present[cp] = 1;
      /* the memfd holds the page of the process that made it: this one's only if every fork since shared it */
      if (c->cache_same) c->cache_same[cp] = parent->cache_same[pp] && (c->flags[cp] & RL_PAGE_SHARED_WITH_PARENT);
      if (had && !keep) {
        if (drop_n == 0) drop_from = c->addr[i] + k * ps;
        drop_n++;
      } else {
        drop_run(c, drop_from, drop_n);
        drop_n = 0;
      }
    }
    drop_run(c, drop_from, drop_n);
    if (cv->thp != c->advice[i] && cv->thp != RL_THP_DEFAULT && thp_madvise(c->addr[i], vma_bytes(cv), cv->thp) == 0)
      c->advice[i] = cv->thp;
  }
  for (uint32_t i = 0; i < c->pp->nvmas; i++) {
    if (adopted[i]) continue;
    map_one(c, i);
  }
  uint64_t run = 0, n = c->pp->total_pages;
  for (uint64_t pg = 0; pg <= n; pg++) {
    int on = pg < n && c->present[pg];
    if (on && run == 0) run = pg + 1;
    if (!on && run) {
      runner_fact(c, RL_PHASE_INHERIT, (int)c->idx, RL_EV_PAGES_PREFILLED, c->pp->pid, (double)(run - 1), (double)(pg - run + 1),
                  RL_PREFILL_INHERITED, 0);
      run = 0;
    }
  }
}

void runner_register(struct runner_proc *p) {
  uint64_t supported = 0;
  struct rl_uffd_attempt at;
  if (rl_uffd_supported_features(&supported, &at) < 0)
    runner_fail(p, "cannot open a userfaultfd (syscall: %s; device: %s)", strerror(at.syscall_errno), strerror(at.device_errno));
  p->uffd = rl_uffd_open(O_CLOEXEC | O_NONBLOCK, &at);
  if (p->uffd < 0) runner_fail(p, "cannot open a userfaultfd: %s", strerror(at.syscall_errno));
  p->uffd_via = (uint32_t)at.via;
  if (rl_uffd_api(p->uffd, g_files.hdr->uffd_features & supported, &p->uffd_features, NULL) < 0)
    runner_fail(p, "UFFDIO_API failed: %s", strerror(errno));
  runner_check_engine_features(p);
  for (uint32_t i = 0; i < p->pp->nvmas; i++) {
    const struct rl_plan_vma *v = &p->vmas[i];
    struct uffdio_register reg;
    memset(&reg, 0, sizeof reg);
    reg.range.start = p->addr[i];
    reg.range.len = vma_bytes(v);
    reg.mode = runner_register_mode();
    if (ioctl(p->uffd, UFFDIO_REGISTER, &reg) != 0)
      runner_fail(p, "UFFDIO_REGISTER of VMA %u (%llu pages) failed: %s", i, (unsigned long long)v->pages, strerror(errno));
    runner_fact(p, RL_PHASE_REGISTER, 0, RL_EV_VMA_REGISTERED, p->pp->pid, i, (double)v->first_page, (double)v->pages, 1);
  }
  runner_start_mover(p);
}
