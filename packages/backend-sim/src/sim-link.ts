import { Link, linkAnswerNs, PAGE_SIZE } from '@restorelab/core';
import { CostModel } from './cost-model';

/** Pages per request to the page server (native/common/page-server-protocol.h RL_PS_MAX_REQUEST_PAGES). */
export const LINK_REQUEST_PAGES = 512;

export const enum LinkChannel {
  Urgent = 0,
  Background = 1,
}

/**
 * The link to a page server (native/addon/remote-source.cc and native/page-server): each copy
 * first fetches its pages, one request of at most LINK_REQUEST_PAGES pages at a time, answered
 * after two one-way latencies and its bytes at the bandwidth, plus what a request and a page cost
 * the two ends (linkRequestNs, linkPageNs). A connection carries one request at a time: with two
 * channels the fault thread's requests have their own; with one, a demand fault's request waits
 * for the background answer in flight (head-of-line blocking). Without a link, fetching is free.
 */
export class SimLink {
  /** When each connection's answer in flight is in. */
  private readonly busyUntil = [0, 0];

  constructor(
    readonly link: Link | undefined,
    private readonly cost: CostModel,
  ) {}

  /** How long, from `now`, until `pages` pages asked for over `ch` are in (0 without a link). */
  fetch(now: number, pages: number, ch: LinkChannel): number {
    const l = this.link;
    if (!l || pages <= 0) return 0;
    const conn = l.channels === 1 ? 0 : ch;
    let t = Math.max(now, this.busyUntil[conn]);
    for (let left = pages; left > 0; left -= LINK_REQUEST_PAGES) {
      const n = Math.min(left, LINK_REQUEST_PAGES);
      t += linkAnswerNs(l, n * PAGE_SIZE, this.cost.linkRequestNs + n * this.cost.linkPageNs);
    }
    this.busyUntil[conn] = t;
    return t - now;
  }
}
