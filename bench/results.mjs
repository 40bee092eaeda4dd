// The benchmarks' committed results (bench/results/<name>.json) and the machine they ran on. A
// benchmark run with `--save` writes its file; the README's Performance lines and the docs'
// performance page are rendered from these files only, so no figure is copied by hand.
import { cpus, release, totalmem } from 'node:os';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('results/', import.meta.url));

/** This machine, as a results file names it. */
export function machine() {
  return `${cpus()[0]?.model?.trim() ?? 'unknown CPU'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, `
    + `${process.platform} ${release()}, Node ${process.versions.node}`;
}

/** Writes bench/results/<name>.json: `{ date, machine, command, ...results }`. */
export function saveResults(name, command, results) {
  const file = `${DIR}${name}.json`;
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), command, ...results }, null, 2)}\n`);
  return file;
}

/** Every committed results file, by name. */
export function readResults() {
  return Object.fromEntries(readdirSync(DIR).filter((f) => f.endsWith('.json'))
    .map((f) => [f.slice(0, -5), JSON.parse(readFileSync(`${DIR}${f}`, 'utf8'))]));
}

const int = (n) => n.toLocaleString('en-US');
const day = (iso) => iso.slice(0, 10);
const x = (r) => `${r.toFixed(2)}×`;

/**
 * The contract budgets with the figure measured against each, as Markdown list items grouped by the
 * run they come from: the README's Performance section and the performance page both print these.
 */
export function contractLines(results = readResults()) {
  const { size, 'in-page': page, 'inbox-peers': peers, inbox: rust } = results;
  const fmt = (unit, v) => (unit === 'ms' ? `${v} ms` : x(v));
  const run = (r, items) => [`- ${day(r.date)}, ${r.machine} (\`${r.command}\`):`, ...items.map((i) => `  - ${i}`)];
  return [
    ...run(size, [`in-page entry (\`coassemble-events\`, wasm included): **${int(size.entries['in-page'].gzip)} B gzipped**; `
      + `hard budget ≤ ${int(size.hardBudget['in-page'])} B`]),
    ...run(page, page.budgets.map((b) => `${b.what}: **${fmt(b.unit, b.measured)}**; hard budget ≤ ${fmt(b.unit, b.budget)}`)),
    ...run(peers, peers.budgets.map((b) => `inbox, ${b.what}: **${fmt(b.unit, b.measured)}**; hard budget ${b.op} `
      + `${fmt(b.unit, b.budget)}, aim ${fmt(b.unit, b.aim)}${b.met ? '' : ' — **not met**'}`)),
    // Beside them (issue 16), no budget of their own: the Rust receivers (axum, over HTTP) on the same
    // kinds of database, at the same offered 1,000/s.
    ...(rust ? run(rust, rust.scenarios.map((sc) => `Rust receiver, ${sc.label}: at an offered ${int(rust.load.ratePerSecond)}/s, `
      + `intake p99 **${sc.intake.p99Ms} ms**, end to end p99 **${int(sc.endToEnd.p99Ms)} ms**; closed loop ${int(sc.closedLoopPerSecond)}/s`)) : []),
  ];
}
