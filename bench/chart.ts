/** The bench's chart, as SVG: latency distributions (P1), throughput vs concurrency (P2), memory over threads touched (P4). */
import type { Series } from './rows.js';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const W = 320;
const H = 220;
const PAD = { left: 48, right: 12, top: 28, bottom: 36 };

interface Line {
  name: string;
  points: Array<[number, number]>;
}

function esc(t: string): string {
  return t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function nice(max: number): number {
  if (!(max > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
}

/** One panel at (x0, 0): axes with a few ticks, a polyline per line, a legend. */
function panel(x0: number, title: string, xLabel: string, yLabel: string, lines: Line[], xTicks?: number[], xLimit?: number): string {
  // Points past the limit (a rare long tail) are drawn at the edge, so the body of the curve stays readable.
  if (xLimit !== undefined) lines = lines.map((l) => ({ ...l, points: l.points.map(([x, y]): [number, number] => [Math.min(x, xLimit), y]) }));
  const xs = lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = lines.flatMap((l) => l.points.map((p) => p[1]));
  const xMax = nice(Math.max(...xs, 0));
  const xMin = 0;
  const yMax = nice(Math.max(...ys, 0));
  const px = (x: number) => x0 + PAD.left + ((x - xMin) / (xMax - xMin || 1)) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - (y / (yMax || 1)) * (H - PAD.top - PAD.bottom);
  const out: string[] = [`<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  out.push(`<line x1="${px(xMin)}" y1="${py(0)}" x2="${px(xMax)}" y2="${py(0)}" stroke="#333"/><line x1="${px(xMin)}" y1="${py(0)}" x2="${px(xMin)}" y2="${py(yMax)}" stroke="#333"/>`);
  for (const f of [0, 0.5, 1]) {
    out.push(`<text x="${px(xMin) - 4}" y="${py(yMax * f) + 4}" text-anchor="end" font-size="10">${+(yMax * f).toPrecision(3)}</text>`);
  }
  for (const x of xTicks ?? [xMin, xMax / 2, xMax]) out.push(`<text x="${px(x)}" y="${py(0) + 14}" text-anchor="middle" font-size="10">${+x.toPrecision(3)}</text>`);
  out.push(`<text x="${x0 + W / 2}" y="${H - 4}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`);
  out.push(`<text x="${x0 + 12}" y="${H / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 ${x0 + 12} ${H / 2})">${esc(yLabel)}</text>`);
  lines.forEach((l, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    if (l.points.length) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${l.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<rect x="${px(xMin) + 8}" y="${PAD.top + 4 + i * 14}" width="10" height="3" fill="${colour}"/><text x="${px(xMin) + 22}" y="${PAD.top + 9 + i * 14}" font-size="10">${esc(l.name)}</text>`);
  });
  return out.join('\n');
}

/** The fraction of samples at or below each value: a distribution that shows its tail. */
function cdf(samples: readonly number[]): Array<[number, number]> {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.map((v, i) => [v, (i + 1) / sorted.length]);
}

export function chartSvg(series: Series): string {
  const latency = Object.entries(series.latency).map(([name, xs]) => ({ name, points: cdf(xs) }));
  const all = Object.values(series.latency).flat().sort((a, b) => a - b);
  const p95 = all[Math.floor(all.length * 0.95)] ?? 0;
  const threads = series.throughput.map((t) => t.threads);
  const throughput = [
    { name: 'copilot-threads', points: series.throughput.map((t): [number, number] => [t.threads, t.product]) },
    { name: 'raw SDK, one client', points: series.throughput.map((t): [number, number] => [t.threads, t.raw]) },
  ];
  const rss = [{ name: 'bot + runtime RSS', points: series.rss.map((r): [number, number] => [r.threads, r.bytes / 1048576]) }];
  const width = W * 3 + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${H}" fill="#fff"/>`,
    panel(0, 'P1: message → answer visible', `milliseconds (cut at ${Math.round(p95 * 1.5)})`, 'fraction of messages', latency, undefined, p95 * 1.5),
    panel(W + 10, 'P2: throughput vs concurrency', 'threads at once', 'turns per second', throughput, threads),
    panel(2 * (W + 10), 'P4: memory over threads touched', 'threads touched', 'MB', rss),
    '</svg>',
  ].join('\n');
}
