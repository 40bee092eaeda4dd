// Intake throughput of the Node inbox on its SQLite default: verify + durable store (WAL,
// synchronous=FULL) per delivery, in one process, with 1, 16 and 64 deliveries in flight. Shows what
// group commit buys: intakes that arrive during a commit share the next one (one fsync for all).
//
//   node bench/node-inbox-intake.mjs [deliveries per run, default 2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInbox } from 'coassemble-events/inbox';
import { signedDelivery } from '../tests/support/deliveries.mjs';

const count = Number(process.argv[2] ?? 2000);
const SECRET = 'whsec_bench';

for (const inFlight of [1, 16, 64]) {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-intake-bench-'));
  const inbox = await openInbox(join(dir, 'inbox.sqlite'), { secrets: [SECRET] });
  const deliveries = Array.from({ length: count }, () => signedDelivery({ secret: SECRET }));
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++];
      const t = performance.now();
      const answer = await inbox.receive(delivery);
      if (answer.status !== 200) throw new Error(`answered ${answer.status}`);
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  console.log(`${String(inFlight).padStart(2)} in flight: ${(count / seconds).toFixed(0)} intakes/s, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`);
  await inbox.close();
  rmSync(dir, { recursive: true, force: true });
}
