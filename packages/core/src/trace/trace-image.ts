import { UsageError } from '../errors/usage-error';
import { IMAGE_LIMITS } from '../model/image-limits';
import { PageFlag, VmaImage, vmaOfAddressPage } from '../model/image';
import { PAGE_SIZE } from '../model/page';
import { GeneratedImage, GeneratedProcess } from '../workloads/generated-image';
import { TraceData } from './read-trace';

/** Untouched pages between two touched ones that still belong to one synthesised VMA (1 MiB). */
export const SYNTH_MAX_HOLE_PAGES = 256;

/** The distinct virtual pages a trace touches, over all its processes, sorted. */
export function touchedPages(trace: TraceData): Float64Array {
  const seen = new Set<number>();
  for (const p of trace.processes) {
    const pages = p.page;
    let last = -1;
    for (let i = 0; i < pages.length; i++) {
      const v = pages[i];
      if (v !== last) seen.add(v);
      last = v;
    }
  }
  const out = Float64Array.from(seen);
  out.sort();
  return out;
}

/** VMAs over the touched pages: a new VMA where more than `maxHole` untouched pages separate two touched ones. */
export function vmasFromPages(sorted: Float64Array, maxHole: number, where: string): VmaImage[] {
  const vmas: VmaImage[] = [];
  let firstPage = 0;
  let i = 0;
  while (i < sorted.length) {
    const from = sorted[i];
    let to = from;
    while (i + 1 < sorted.length && sorted[i + 1] - to <= maxHole + 1) to = sorted[++i];
    i++;
    const pages = to - from + 1;
    vmas.push({ index: vmas.length, start: from * PAGE_SIZE, pages, firstPage, prot: 'rw', shared: false, anon: true, thp: 'default', collapseBeforeRegister: false, hugetlb: false });
    firstPage += pages;
    if (vmas.length > IMAGE_LIMITS.maxVmasPerProcess)
      throw new UsageError(`${where}: its pages fall into more than ${IMAGE_LIMITS.maxVmasPerProcess} separate address ranges (VMAs); give it an image`);
  }
  return vmas;
}

/**
 * An image for a trace that comes without one: VMAs from the address gaps of the pages the processes
 * touch (one layout for the whole fork tree, as fork gives), content computed from `seed` for every
 * touched page, untouched pages zero. A child's page is its parent's (COW-shared) unless the child
 * writes it before its migrate marker.
 */
export function imageFromTrace(trace: TraceData, name: string, seed: number, maxHole = SYNTH_MAX_HOLE_PAGES): GeneratedImage {
  const where = `trace ${trace.file}`;
  const touched = touchedPages(trace);
  if (touched.length === 0) throw new UsageError(`${where}: it has no accesses, so there is no memory to restore (give it an image)`);
  const vmas = vmasFromPages(touched, maxHole, where);
  const total = vmas.length ? vmas[vmas.length - 1].firstPage + vmas[vmas.length - 1].pages : 0;
  if (total * trace.processes.length > IMAGE_LIMITS.maxTotalPages)
    throw new UsageError(`${where}: its synthesised image would have ${total * trace.processes.length} pages, more than ${IMAGE_LIMITS.maxTotalPages}`);
  // every touched page is inside a VMA made from them
  const linear = (vpn: number): number => {
    const v = vmaOfAddressPage(vmas, vpn)!;
    return v.firstPage + (vpn - v.start / PAGE_SIZE);
  };
  const flagsOf = new Map<number, Uint8Array>();
  const processes: GeneratedProcess[] = trace.processes.map((t) => {
    const flags = new Uint8Array(total);
    const parentFlags = t.parent === null ? undefined : flagsOf.get(t.parent);
    if (parentFlags) {
      for (let i = 0; i < total; i++) if (parentFlags[i] & PageFlag.Content) flags[i] = PageFlag.Content | PageFlag.SharedWithParent;
    }
    for (let i = 0; i < t.page.length; i++) {
      const lp = linear(t.page[i]);
      if (i < t.migrateAt && t.write[i]) flags[lp] = PageFlag.Content;
      else if (!(flags[lp] & PageFlag.Content)) flags[lp] = PageFlag.Content;
    }
    flagsOf.set(t.pid, flags);
    return { pid: t.pid, parent: t.parent, vmas, pageFlags: flags };
  });
  return new GeneratedImage(name, seed, processes);
}
