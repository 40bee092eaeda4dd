// `npm run bench`: every figure of the README's Performance section in one run, on this machine. No assertions.
//   1. size of each entry point (scripts/size.mjs)
//   2. in-page SDK vs a hand-written listener, and startup, in headless Chromium (bench/in-page.mjs)
//   3. webhook verification: wasm vs node:crypto vs native Rust (bench/webhooks.mjs)
// Arguments go to bench/in-page.mjs (e.g. `npm run bench -- --rounds 9`); `--save` goes to all three,
// each writing its bench/results/<name>.json, which the docs print.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

const save = process.argv.includes('--save') ? ['--save'] : [];

console.log(`coassemble-events benchmarks — ${new Date().toISOString()}`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`);
for (const [title, script, args] of [
  ['size', 'scripts/size.mjs', save],
  ['in-page', 'bench/in-page.mjs', process.argv.slice(2)],
  ['webhooks', 'bench/webhooks.mjs', save],
]) {
  console.log(`\n== ${title} ==`);
  const run = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  if (run.status !== 0) process.exitCode = 1;
}
