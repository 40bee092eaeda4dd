#!/usr/bin/env node
// npx coassemble-events <command> ...
//   send-test-webhooks [url] [--secret s]   the receiver checks (see below)
//   emulate [--port N] [--time-scale N] [--api-key k]   a local Coassemble platform (see below)
//   inbox <serve|list|counts|redrive|purge|reconcile> --database <url> ...   operate an inbox (testing/inbox-cli.js)
// Exit codes: 0 ok, 1 the operation failed, 2 usage (the usage text on stderr).
//
// One entry per command in COMMANDS, each loaded when it runs (a command's dependencies are not
// loaded for another): add a command with one line.

const COMMANDS = {
  'send-test-webhooks': { usage: 'send-test-webhooks [url] [--secret s]', run: sendTestWebhooksCommand },
  emulate: { usage: 'emulate [--port N] [--time-scale N] [--api-key k]', run: emulateCommand },
  inbox: { usage: 'inbox <serve|list|counts|redrive|purge|reconcile> --database <url> (inbox --help)', run: (args) => import('./inbox-cli.js').then((m) => m.main(args)) },
};

const USAGE = Object.values(COMMANDS).map((c, i) => `${i === 0 ? 'usage:' : '      '} coassemble-events ${c.usage}`).join('\n');

class UsageError extends Error {}

/** `--name value` pairs of `args` as `{ name: value }`; anything else (or a flag without a value) is a usage error. */
function flags(args, names, positional = 0) {
  const found = { _: [] };
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : null;
    if (name === null) found._.push(args[i]);
    else if (names.includes(name) && i + 1 < args.length) found[name] = args[++i];
    else throw new UsageError();
  }
  if (found._.length > positional) throw new UsageError();
  return found;
}

// send-test-webhooks [url] [--secret s]
//   url     default http://localhost:8080/webhooks (the demo server)
//   secret  default $COASSEMBLE_WEBHOOK_SECRET, else the first of $WEBHOOK_SECRETS, else whsec_demo
//   Exits 1 when a receiver answered any case other than a correct receiver would.
async function sendTestWebhooksCommand(args) {
  const given = flags(args, ['secret'], 1);
  const secret = given.secret
    ?? process.env.COASSEMBLE_WEBHOOK_SECRET ?? process.env.WEBHOOK_SECRETS?.split(',')[0]?.trim() ?? 'whsec_demo';
  if (!secret) throw new UsageError();
  const { sendTestWebhooks } = await import('../dist/testing.js');
  const url = given._[0] ?? 'http://localhost:8080/webhooks';
  console.log(`sending 8 deliveries to ${url} (secret ${secret.slice(0, 6)}…)`);
  const results = await sendTestWebhooks(url, { secret, log: (line) => console.log(line) });
  return results.every((r) => r.ok) ? 0 : 1;
}

// emulate [--port N] [--time-scale N] [--api-key k]
//   A local Coassemble (startPlatform) until Ctrl-C: prints its API base URL, an API key, a minted
//   player and builder URL and the /mint address a page under development fetches more from, then a
//   line per webhook attempt. port default 4010 (0: a free one); time scale default 1 (Coassemble's
//   real schedule; 60: the 36-minute retry window takes 36 s); api key default a random one (give one
//   to keep it in a dev server's .env across restarts).
async function emulateCommand(args) {
  const given = flags(args, ['port', 'time-scale', 'api-key']);
  const port = Number(given.port ?? 4010);
  const timeScale = Number(given['time-scale'] ?? 1);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !(Number.isFinite(timeScale) && timeScale > 0)) throw new UsageError();
  if (given['api-key'] === '') throw new UsageError();
  const { startPlatform } = await import('../dist/testing.js');
  const platform = await startPlatform({
    port,
    timeScale,
    ...(given['api-key'] === undefined ? {} : { apiKey: given['api-key'] }),
    onAttempt: (a) => console.log(`${a.at} ${a.event} → ${a.url} attempt ${a.attempt}: ${a.status ?? a.error} (${a.state})`),
  });
  const [course] = platform.courses;
  const waits = [1, 5, 30].map((minutes) => `${Number(((minutes * 60) / timeScale).toFixed(1))} s`).join(', ');
  console.log(`Coassemble platform emulator (time scale ${timeScale}: webhook retries after ${waits})
  API base URL  ${platform.baseUrl}
  API key       ${platform.apiKey}
  player URL    ${platform.mint({ courseId: course.id, identifier: 'learner-1' })}
                (course ${course.id} "${course.title}", learner learner-1; embed it in your page)
  builder URL   ${platform.mint({ action: 'edit', identifier: 'author-1' })}
  more URLs     GET ${platform.baseUrl}/mint?kind=player|builder&course=<id>&learner=<id> (CORS open: fetch it from your dev page)
Register a webhook endpoint: POST ${platform.baseUrl}/api/v1/headless/webhooks {"url": "...", "events": ["course.completed"]}`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => platform.close().then(() => process.exit(0)));
  return undefined; // keeps running
}

const [command, ...args] = process.argv.slice(2);
if (command === '--help' || command === '-h' || command === 'help') {
  console.log(USAGE);
} else if (!COMMANDS[command]) {
  console.error(command ? `coassemble-events: unknown command "${command}"\n${USAGE}` : USAGE);
  process.exitCode = 2;
} else {
  try {
    const code = await COMMANDS[command].run(args);
    // A command that serves (inbox serve, emulate) resolves undefined and keeps running.
    if (code !== undefined) process.exitCode = code;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(USAGE);
    process.exitCode = 2;
  }
}
