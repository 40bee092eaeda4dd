#!/usr/bin/env node
// npx coassemble-events send-test-webhooks [url] [--secret s]
//   url     default http://localhost:8080/webhooks (the demo server)
//   secret  default $COASSEMBLE_WEBHOOK_SECRET, else the first of $WEBHOOK_SECRETS, else whsec_demo
// Exits 1 when a receiver answered any case other than a correct receiver would.
import { sendTestWebhooks } from '../dist/testing.js';

const USAGE = 'usage: coassemble-events send-test-webhooks [url] [--secret s]';
const [command, ...args] = process.argv.slice(2);
if (command !== 'send-test-webhooks') {
  console.error(USAGE);
  process.exit(2);
}
const secretAt = args.indexOf('--secret');
const secret = secretAt >= 0 ? args.splice(secretAt, 2)[1]
  : process.env.COASSEMBLE_WEBHOOK_SECRET ?? process.env.WEBHOOK_SECRETS?.split(',')[0]?.trim() ?? 'whsec_demo';
if (!secret) {
  console.error(USAGE);
  process.exit(2);
}
const url = args[0] ?? 'http://localhost:8080/webhooks';
console.log(`sending 8 deliveries to ${url} (secret ${secret.slice(0, 6)}…)`);
const results = await sendTestWebhooks(url, { secret, log: (line) => console.log(line) });
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
