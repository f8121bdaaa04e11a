import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../errors/usage-error';
import { checkFreeDisk } from '../io/free-disk';
import { openRegularFile } from '../io/regular-file';
import { contentPages, PageFlag } from '../model/image';
import { GeneratedImage } from '../workloads/generated-image';
import { hash32 } from '../workloads/random';
import { writePagesBlob } from './pages-blob';

/** Writes a generated image's pages blob into an open file. */
export type GeneratedPagesWriter = (image: GeneratedImage, fd: number) => void;

/** Bumped whenever fillPageContent or the blob layout changes: older entries are never used. */
export const PAGES_CACHE_VERSION = 1;
const SUFFIX = '.pages';
/** Pages of an entry compared with the generator each time it is used. */
const SPOT_CHECKS = 16;
const DEFAULT_MAX_GIB = 16;

export interface PagesCacheStats {
  readonly hits: number;
  readonly writes: number;
  readonly evicted: number;
}

/**
 * The pages blobs of generated images, written once and reused by every later restore of the same
 * image (same generator, parameters and seed): a 4 GiB image costs seconds to generate and
 * nothing to reuse. An entry's name is a hash of everything its content depends on; each use
 * checks its size and compares a few of its pages with the generator, and an entry that fails is
 * written again. Least recently used entries go when the cache outgrows maxBytes.
 */
export class PagesCache {
  private hits = 0;
  private writes = 0;
  private evicted = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes: number = DEFAULT_MAX_GIB * 2 ** 30,
    /** Writes an entry's blob (a backend may do it natively; the same bytes as writePagesBlob). */
    private readonly writeBlob: GeneratedPagesWriter = writePagesBlob,
  ) {}

  get stats(): PagesCacheStats {
    return { hits: this.hits, writes: this.writes, evicted: this.evicted };
  }

  /** The entry's path for `image` (not created). */
  entryPath(image: GeneratedImage): string {
    return path.join(this.dir, `${pagesKey(image)}${SUFFIX}`);
  }

  /** The path of a complete pages blob of `image`, written first when the cache has none that checks out. */
  pagesFileFor(image: GeneratedImage): string {
    const entry = this.entryPath(image);
    if (this.usable(entry, image)) {
      this.hits++;
      const now = new Date();
      fs.utimesSync(entry, now, now);
      return entry;
    }
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.removeStale();
    checkFreeDisk(this.dir, contentPages(image) * image.pageSize, `the pages of image ${image.name} (cached in ${this.dir})`);
    const tmp = `${entry}.tmp-${process.pid}`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      this.writeBlob(image, fd);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, entry);
    this.writes++;
    this.evict(entry);
    return entry;
  }

  /**
   * Refuses, before an image is built, one whose pages the cache's disk has no room for, unless an
   * entry of its blob's size is there already (it may be this image's).
   */
  checkRoomFor(contentBytes: number, blobBytes: number, what: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      names = [];
    }
    for (const n of names) {
      if (!n.endsWith(SUFFIX)) continue;
      try {
        if (fs.statSync(path.join(this.dir, n)).size === blobBytes) return;
      } catch {
        // gone meanwhile
      }
    }
    checkFreeDisk(this.dir, contentBytes, `${what} (cached in ${this.dir})`);
  }

  private usable(entry: string, image: GeneratedImage): boolean {
    let fd: number;
    let size: number;
    try {
      // a FIFO or a device where an entry should be is no entry (and must not block)
      ({ fd, size } = openRegularFile(entry));
    } catch {
      return false;
    }
    try {
      if (size !== image.blobBytes) return false;
      const want = new Uint8Array(image.pageSize);
      const got = new Uint8Array(image.pageSize);
      for (const [pid, page, offset] of spotPages(image)) {
        image.readPage(pid, page, want);
        if (fs.readSync(fd, got, 0, got.length, offset) !== got.length) return false;
        if (Buffer.compare(want, got) !== 0) return false;
      }
      return true;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Temporary files of writers that are gone (killed while they wrote). */
  private removeStale(): void {
    for (const name of fs.readdirSync(this.dir)) {
      const m = /\.tmp-(\d+)$/.exec(name);
      if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  private evict(keep: string): void {
    const entries = fs
      .readdirSync(this.dir)
      .filter((n) => n.endsWith(SUFFIX))
      .map((n) => {
        const p = path.join(this.dir, n);
        const st = fs.statSync(p);
        return { path: p, bytes: st.blocks * 512, used: st.mtimeMs };
      })
      .sort((a, b) => a.used - b.used);
    let total = entries.reduce((n, e) => n + e.bytes, 0);
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      if (e.path === keep) continue;
      fs.rmSync(e.path, { force: true });
      total -= e.bytes;
      this.evicted++;
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a generated image's blob depends on: the content version, the seed and every process's layout and flags. */
export function pagesKey(image: GeneratedImage): string {
  const h = createHash('sha256');
  h.update(`restorelab-pages v${PAGES_CACHE_VERSION} seed ${image.seed} pageSize ${image.pageSize}\n`);
  for (const p of image.processes) {
    h.update(`pid ${p.pid} parent ${p.parent} pages ${p.totalPages} offset ${p.blobOffset}\n`);
    h.update(p.pageFlags);
  }
  return h.digest('hex').slice(0, 32);
}

/** The first and last content page of each process and SPOT_CHECKS more spread by a hash: [pid, page, blob offset]. */
function spotPages(image: GeneratedImage): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  const total = image.processes.reduce((n, p) => n + p.totalPages, 0);
  for (const p of image.processes) {
    const flags = p.pageFlags;
    const first = flags.findIndex((f) => (f & PageFlag.Content) !== 0);
    if (first < 0) continue;
    let last = flags.length - 1;
    while (!(flags[last] & PageFlag.Content)) last--;
    const picks = new Set([first, last]);
    const n = Math.max(1, Math.round((SPOT_CHECKS * p.totalPages) / Math.max(1, total)));
    for (let i = 0; i < n; i++) {
      let page = hash32(image.seed, p.pid, i, 0x5eed) % p.totalPages;
      while (page < p.totalPages && !(flags[page] & PageFlag.Content)) page++;
      if (page < p.totalPages) picks.add(page);
    }
    for (const page of picks) out.push([p.pid, page, p.blobOffset + page * image.pageSize]);
  }
  return out;
}

/** Where the cache is by default: $XDG_CACHE_HOME/restorelab/pages, else ~/.cache/restorelab/pages. */
export function defaultPagesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'restorelab', 'pages');
}

/**
 * The cache as the environment sets it: RESTORELAB_PAGES_CACHE is a directory or `off` (default
 * defaultPagesCacheDir()), RESTORELAB_PAGES_CACHE_GIB its size limit (default 16). Null when off.
 */
export function pagesCacheFromEnv(env: NodeJS.ProcessEnv = process.env, writeBlob?: GeneratedPagesWriter): PagesCache | null {
  const where = env.RESTORELAB_PAGES_CACHE?.trim();
  if (where === 'off' || where === '0') return null;
  const gibText = env.RESTORELAB_PAGES_CACHE_GIB?.trim();
  let gib = DEFAULT_MAX_GIB;
  if (gibText !== undefined && gibText !== '') {
    gib = Number(gibText);
    if (!Number.isFinite(gib) || gib < 0) throw new UsageError(`RESTORELAB_PAGES_CACHE_GIB must be a number of GiB >= 0, got "${gibText}"`);
  }
  const dir = where ? path.resolve(where) : defaultPagesCacheDir(env);
  return new PagesCache(dir, gib * 2 ** 30, writeBlob);
}
