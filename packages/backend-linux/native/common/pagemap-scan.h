/* The PAGEMAP_SCAN ioctl of /proc/PID/pagemap (Linux 6.7+), for headers older than the kernel. */
#ifndef RESTORELAB_PAGEMAP_SCAN_H
#define RESTORELAB_PAGEMAP_SCAN_H

#include <linux/fs.h>
#include <linux/ioctl.h>
#include <stdint.h>

#ifndef PAGEMAP_SCAN
#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN (1 << 1)
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGE_IS_PFNZERO (1 << 5)
#define PAGE_IS_HUGE (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)

struct page_region {
  uint64_t start;
  uint64_t end; /* exclusive */
  uint64_t categories;
};

/* Write-protect the pages that match; stop at a page that is not under async write-protect. */
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)

struct pm_scan_arg {
  uint64_t size;
  uint64_t flags;
  uint64_t start;
  uint64_t end;
  uint64_t walk_end;
  uint64_t vec;
  uint64_t vec_len;
  uint64_t max_pages;
  uint64_t category_inverted;
  uint64_t category_mask;
  uint64_t category_anyof_mask;
  uint64_t return_mask;
};

#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

#endif
