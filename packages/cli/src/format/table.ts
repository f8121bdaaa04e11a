export interface Column {
  readonly header: string;
  /** Numbers read best right-aligned; names left-aligned. */
  readonly align: 'left' | 'right';
}

/** Visible width: counts code points, so ✓ and ✗ take one column. */
export function displayWidth(s: string): number {
  return [...s].length;
}

function pad(s: string, width: number, align: Column['align']): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return align === 'left' ? s + fill : fill + s;
}

/** A plain-text table: header row, then one row per line, columns separated by two spaces. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  for (const r of rows) {
    if (r.length !== columns.length) throw new Error(`table row has ${r.length} cells, expected ${columns.length}`);
  }
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(r[i]))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => pad(cell, widths[i], columns[i].align))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}
