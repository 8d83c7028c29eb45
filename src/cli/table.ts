import type { Style } from '../infra/terminal-style.js';

/** What a cell takes on screen: colour codes take none. */
// eslint-disable-next-line no-control-regex
const visible = (cell: string) => cell.replace(/\x1b\[[0-9;]*m/g, '').length;

/** Plain-text tables for the terminal: columns padded to their widest cell (colour codes do not count). */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, style?: Style): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, widths[i]! - visible(c)))))
      .join('  ')
      .trimEnd();
  const head = line(headers);
  const rule = line(widths.map((w) => '-'.repeat(w)));
  return [style ? style.bold(head) : head, style ? style.dim(rule) : rule, ...rows.map(line)].join('\n');
}

const UNIT_MS = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/** `2w`, `30d`, `36h`, `45m`, `90s`, a combination (`1d12h`), or a bare number of days → milliseconds. */
export function parseDuration(text: string): number {
  const t = text.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t) * UNIT_MS.d;
  if (!/^(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+$/.test(t)) throw new Error(`not a duration: "${text}" (examples: 2w, 30d, 36h, 45m)`);
  return [...t.matchAll(/(\d+(?:\.\d+)?)\s*([wdhms])/g)].reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2] as keyof typeof UNIT_MS], 0);
}
