/**
 * `npm run bench`: the product against the raw Copilot SDK (or a naive implementation) on the
 * same work in the same run, rows P1–P7, P8 (reading the thread), P9 (the tool sandbox) and shared mode S1–S2 (see docs/performance.md), on the local model server that
 * answers at once, so what is measured is our code, the platforms' client libraries and the
 * runtime. Prints a table, writes `bench/results.json` and the chart `docs/performance.svg`
 * (a quick or partial run writes `bench/results.partial.json` only).
 *
 * `npm run bench -- --quick` runs every row small (about a minute) and checks no target: CI runs
 * it to keep the bench working. `--only P1,P5` runs some rows. A full run exits 1 on a miss.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startModelServer } from '../testkit/model-server.js';
import { chartSvg } from './chart.js';
import { FULL, p1, p2, p3, p4, p5, p6, p7, QUICK, shared, type Row, type Series } from './rows.js';
import { p8 } from './context.js';
import { p9 } from './sandbox.js';

const ROWS = { P1: p1, P2: p2, P3: p3, P4: p4, P5: p5, P6: p6, P7: p7, P8: p8, P9: p9, S: shared } as const;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const sizes = values.quick ? QUICK : FULL;
  const only = values.only ? new Set(values.only.split(',').map((s) => s.trim().toUpperCase())) : undefined;
  const model = await startModelServer();
  const series: Series = { latency: {}, throughput: [], rss: [] };
  const rows: Row[] = [];
  const started = performance.now();
  try {
    for (const [id, row] of Object.entries(ROWS)) {
      if (only && !only.has(id)) continue;
      const t = performance.now();
      rows.push(...(await row(model, sizes, series)));
      process.stderr.write(`bench: ${id} done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await model.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const header = ['id', 'measurement', 'A (product)', 'B (baseline)', 'A/B', 'target', ''];
  const cells = rows.map((r) => [r.id, r.what, r.a, r.b, Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : '-', r.target, r.ok === undefined ? '' : r.ok ? 'ok' : 'MISS']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(`copilot-threads bench${values.quick ? ' --quick (targets not checked)' : ''}: node ${process.version}, ${os.cpus().length} cores, ${seconds.toFixed(0)} s\n`);
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n'));
  const results = { at: new Date().toISOString(), quick: values.quick, node: process.version, cores: os.cpus().length, seconds, rows, series };
  // A quick or partial run never overwrites the full run's results and chart.
  const full = !values.quick && !only;
  fs.writeFileSync(path.resolve(full ? 'bench/results.json' : 'bench/results.partial.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (full) fs.writeFileSync(path.resolve('docs/performance.svg'), `${chartSvg(series)}\n`);
  // A quick run only proves the bench runs; a full run is held to the targets.
  if (!values.quick) process.exitCode = rows.every((r) => r.ok !== false) ? 0 : 1;
}

main().then(
  // The runtimes and clients are stopped; a keep-alive socket must not hold the bench open.
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
