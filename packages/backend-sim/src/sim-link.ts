import { Link, MAX_LINK_REQUEST_PAGES, PAGE_SIZE } from '@restorelab/core';
import { CostModel } from './cost-model';

export const enum LinkChannel {
  Urgent = 0,
  Background = 1,
}

/** An answer crossing the link: alone on it from `from` to `to` (ns); `delay` tells its owner it ends later. */
interface OnLink {
  from: number;
  to: number;
  delay?: (ns: number) => void;
}

/**
 * The link to a page server (native/addon/remote-source.cc and native/page-server): each copy
 * first fetches its pages, one request of at most MAX_LINK_REQUEST_PAGES pages at a time; a request
 * reaches the server a latency after it was sent, its answer crosses the link at the bandwidth
 * and arrives a latency later, plus what a request and a page cost the two ends (linkRequestNs,
 * linkPageNs). A connection carries one request at a time: with two channels the fault thread's
 * requests have their own; with one, a demand fault's request waits for the background answer in
 * flight (head-of-line blocking). With a shared bandwidth the two channels' answers cross one link,
 * sharing it equally while both are on it. Without a link, fetching is free.
 */
export class SimLink {
  /** When each connection's answer in flight is in. */
  private readonly busyUntil = [0, 0];
  private readonly onLink: OnLink[] = [
    { from: 0, to: 0 },
    { from: 0, to: 0 },
  ];

  constructor(
    readonly link: Link | undefined,
    private readonly cost: CostModel,
  ) {}

  /**
   * How long, from `now`, until `pages` pages asked for over `ch` are in (0 without a link); marks
   * the channel busy. `onDelay`: told how much later the answer comes when an answer of the other
   * channel shares the link with it after all (shared bandwidth).
   */
  fetch(now: number, pages: number, ch: LinkChannel, onDelay?: (ns: number) => void): number {
    const l = this.link;
    if (!l || pages <= 0) return 0;
    const conn = l.channels === 1 ? 0 : ch;
    const latency = l.latencyUs * 1000;
    let t = Math.max(now, this.busyUntil[conn]);
    for (let left = pages; left > 0; left -= MAX_LINK_REQUEST_PAGES) {
      const n = Math.min(left, MAX_LINK_REQUEST_PAGES);
      const onServer = t + latency;
      const crossed = this.cross(conn, onServer, n * PAGE_SIZE, onDelay);
      t = crossed + latency + this.cost.linkRequestNs + n * this.cost.linkPageNs;
    }
    this.busyUntil[conn] = t;
    return t - now;
  }

  /** When an answer of `bytes` that reaches the link at `at` has crossed it. */
  private cross(conn: number, at: number, bytes: number, delay?: (ns: number) => void): number {
    const l = this.link!;
    if (l.bandwidth <= 0) return at;
    const alone = (bytes * 1e9) / l.bandwidth;
    const other = this.onLink[1 - conn];
    if (!l.sharedBandwidth || l.channels === 1 || other.to <= at || other.from >= at + alone) {
      this.onLink[conn] = { from: at, to: at + alone, delay };
      return at + alone;
    }
    // the two share the link from when both are on it; in ns of the link to itself
    const start = Math.max(at, other.from);
    const mine = alone - (start - at);
    const theirs = other.to - start;
    let end: number;
    let otherEnd: number;
    if (mine <= theirs) {
      end = start + 2 * mine;
      otherEnd = other.to + mine;
      other.from = end;
      this.onLink[conn] = { from: end, to: end, delay };
    } else {
      otherEnd = start + 2 * theirs;
      end = start + theirs + mine;
      this.onLink[conn] = { from: otherEnd, to: end, delay };
    }
    const later = otherEnd - other.to;
    other.to = otherEnd;
    if (later > 0) other.delay?.(later);
    return end;
  }
}
