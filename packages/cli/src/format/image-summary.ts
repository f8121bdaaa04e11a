import { Image, PageFlag } from '@restorelab/core';
import { bytesToMiB } from './numbers';
import { renderTable } from './table';

function countFlag(flags: Uint8Array, bit: number): number {
  let n = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i] & bit) n++;
  return n;
}

/** The image at a glance: one line, then one row per process. */
export function imageSummary(image: Image): string {
  const pages = image.processes.reduce((n, p) => n + p.totalPages, 0);
  const head =
    `image ${image.name}: ${image.processes.length} ${image.processes.length === 1 ? 'process' : 'processes'}, ` +
    `${pages} pages of ${image.pageSize} bytes, blob ${bytesToMiB(image.blobBytes).toFixed(1)} MiB`;
  const table = renderTable(
    [
      { header: 'pid', align: 'right' },
      { header: 'parent', align: 'right' },
      { header: 'vmas', align: 'right' },
      { header: 'pages', align: 'right' },
      { header: 'content', align: 'right' },
      { header: 'zero', align: 'right' },
      { header: 'precopied', align: 'right' },
      { header: 'shared', align: 'right' },
      { header: 'thp advice', align: 'left' },
    ],
    image.processes.map((p) => {
      const content = countFlag(p.pageFlags, PageFlag.Content);
      const advice = [...new Set(p.vmas.map((v) => v.thp + (v.collapseBeforeRegister ? '+collapse' : '')))].join(',');
      return [
        String(p.pid),
        p.parent === null ? '-' : String(p.parent),
        String(p.vmas.length),
        String(p.totalPages),
        String(content),
        String(p.totalPages - content),
        String(countFlag(p.pageFlags, PageFlag.Precopied)),
        String(countFlag(p.pageFlags, PageFlag.SharedWithParent)),
        advice,
      ];
    }),
  );
  return `${head}\n${table}`;
}
