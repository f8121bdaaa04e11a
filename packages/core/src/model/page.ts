export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
/** Pages in one 2 MiB transparent huge page. */
export const PAGES_PER_HUGE_PAGE = 512;
/** Most pages one UFFDIO_COPY call of the copier or of precopy moves (native: RL_MAX_COPY_PAGES). */
export const MAX_COPY_PAGES = 512;

/** A run of pages of one process, as linear page indices (see ProcessImage). */
export interface PageRange {
  readonly pid: number;
  readonly page: number;
  readonly count: number;
}
