/*
 * restorelab-snapshot: a consistent image of a running process without stopping it for the whole
 * copy (seed 004). Its private anonymous memory is write-protected with userfaultfd at the
 * snapshot instant; a copier writes the pages out in the background, and a write fault copies
 * its 4 KiB page into a bounded buffer before the page is unprotected.
 */
#ifndef RESTORELAB_SNAPSHOT_H
#define RESTORELAB_SNAPSHOT_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* A userfaultfd bound to process `pid` (ptrace-stopped by the caller), open in this process. */
int snapshot_take_uffd(pid_t pid, int flags, char *err, size_t errlen);

#endif
