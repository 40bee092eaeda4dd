// What counting costs the intake: receive() of N signed deliveries (100 in flight, group commit) on a
// SQLite file, with no observer and with createInboxMetrics attached, alternated, three rounds each.
//   node bench/inbox-metrics-overhead.mjs [N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInbox } from 'coassemble-events/inbox';
import { createInboxMetrics } from 'coassemble-events/inbox/metrics';
import { signedDelivery } from '../tests/support/deliveries.mjs';

const N = Number(process.argv[2] ?? 3000);
const SECRET = 'whsec_bench';

async function round(withMetrics) {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-overhead-'));
  const inbox = await openInbox(join(dir, 'inbox.sqlite'), { secrets: [SECRET], onError: () => {} });
  const metrics = withMetrics ? createInboxMetrics(inbox) : null;
  const deliveries = Array.from({ length: N }, () => signedDelivery({ secret: SECRET }));
  const started = performance.now();
  for (let i = 0; i < N; i += 100) await Promise.all(deliveries.slice(i, i + 100).map((d) => inbox.receive(d)));
  const ms = performance.now() - started;
  metrics?.close();
  await inbox.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const results = { without: [], with: [] };
for (let r = 0; r < 3; r++) {
  results.without.push(await round(false));
  results.with.push(await round(true));
}
for (const [name, times] of Object.entries(results)) {
  const best = Math.min(...times);
  console.log(`${name.padEnd(8)} metrics: ${times.map((t) => `${(N / t * 1000).toFixed(0)}/s`).join(', ')}; best ${(best / N * 1000).toFixed(1)} µs per intake`);
}
