#!/usr/bin/env node
// npx coassemble-events send-test-webhooks [url] [--secret s]
//   url     default http://localhost:8080/webhooks (the demo server)
//   secret  default $COASSEMBLE_WEBHOOK_SECRET, else the first of $WEBHOOK_SECRETS, else whsec_demo
//   Exits 1 when a receiver answered any case other than a correct receiver would.
// npx coassemble-events emulate [--port N] [--time-scale N]
//   A local Coassemble (startPlatform) until Ctrl-C: prints its API base URL, an API key and a minted
//   player URL, then a line per webhook attempt. port default 4010 (0: a free one); time scale default
//   1 (Coassemble's real schedule; 60: the 36-minute retry window takes 36 s).
// Bad arguments: the usage text on stderr, exit code 2.
import { sendTestWebhooks, startPlatform } from '../dist/testing.js';

const USAGE = `usage: coassemble-events send-test-webhooks [url] [--secret s]
       coassemble-events emulate [--port N] [--time-scale N]`;
const usage = () => {
  console.error(USAGE);
  process.exit(2);
};

/** `--name value` pairs of `args` as `{ name: value }`; anything else (or a flag without a value) is a usage error. */
function flags(args, names, positional = 0) {
  const found = { _: [] };
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : null;
    if (name === null) found._.push(args[i]);
    else if (names.includes(name) && i + 1 < args.length) found[name] = args[++i];
    else usage();
  }
  if (found._.length > positional) usage();
  return found;
}

const [command, ...args] = process.argv.slice(2);
if (command === 'send-test-webhooks') {
  const given = flags(args, ['secret'], 1);
  const secret = given.secret
    ?? process.env.COASSEMBLE_WEBHOOK_SECRET ?? process.env.WEBHOOK_SECRETS?.split(',')[0]?.trim() ?? 'whsec_demo';
  if (!secret) usage();
  const url = given._[0] ?? 'http://localhost:8080/webhooks';
  console.log(`sending 8 deliveries to ${url} (secret ${secret.slice(0, 6)}…)`);
  const results = await sendTestWebhooks(url, { secret, log: (line) => console.log(line) });
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
} else if (command === 'emulate') {
  const given = flags(args, ['port', 'time-scale']);
  const port = Number(given.port ?? 4010);
  const timeScale = Number(given['time-scale'] ?? 1);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !(Number.isFinite(timeScale) && timeScale > 0)) usage();
  const platform = await startPlatform({
    port,
    timeScale,
    onAttempt: (a) => console.log(`${a.at} ${a.event} → ${a.url} attempt ${a.attempt}: ${a.status ?? a.error} (${a.state})`),
  });
  const [course] = platform.courses;
  const waits = [1, 5, 30].map((minutes) => `${Number(((minutes * 60) / timeScale).toFixed(1))} s`).join(", ");
  console.log(`Coassemble platform emulator (time scale ${timeScale}: webhook retries after ${waits})
  API base URL  ${platform.baseUrl}
  API key       ${platform.apiKey}
  player URL    ${platform.mint({ courseId: course.id, identifier: 'learner-1' })}
                (course ${course.id} "${course.title}", learner learner-1; embed it in your page)
Register a webhook endpoint: POST ${platform.baseUrl}/api/v1/headless/webhooks {"url": "...", "events": ["course.completed"]}`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => platform.close().then(() => process.exit(0)));
} else {
  usage();
}
