#!/usr/bin/env node
// npx coassemble-events <command> ...
//   send-test-webhooks [url] [--secret s]   the receiver checks (see below)
//   inbox <serve|list|counts|redrive|purge|reconcile> --database <url> ...   operate an inbox (testing/inbox-cli.js)
// Exit codes: 0 ok, 1 the operation failed, 2 usage.
//
// One entry per command in COMMANDS, each loaded when it runs (a command's dependencies are not
// loaded for another): add a command with one line.

const COMMANDS = {
  'send-test-webhooks': { usage: 'send-test-webhooks [url] [--secret s]', run: sendTestWebhooksCommand },
  inbox: { usage: 'inbox <serve|list|counts|redrive|purge|reconcile> --database <url> (inbox --help)', run: (args) => import('./inbox-cli.js').then((m) => m.main(args)) },
};

const USAGE = Object.values(COMMANDS).map((c, i) => `${i === 0 ? 'usage:' : '      '} coassemble-events ${c.usage}`).join('\n');

// send-test-webhooks [url] [--secret s]
//   url     default http://localhost:8080/webhooks (the demo server)
//   secret  default $COASSEMBLE_WEBHOOK_SECRET, else the first of $WEBHOOK_SECRETS, else whsec_demo
// Exits 1 when a receiver answered any case other than a correct receiver would.
async function sendTestWebhooksCommand(args) {
  const usage = 'usage: coassemble-events send-test-webhooks [url] [--secret s]';
  const secretAt = args.indexOf('--secret');
  const secret = secretAt >= 0 ? args.splice(secretAt, 2)[1]
    : process.env.COASSEMBLE_WEBHOOK_SECRET ?? process.env.WEBHOOK_SECRETS?.split(',')[0]?.trim() ?? 'whsec_demo';
  if (!secret) {
    console.error(usage);
    return 2;
  }
  const { sendTestWebhooks } = await import('../dist/testing.js');
  const url = args[0] ?? 'http://localhost:8080/webhooks';
  console.log(`sending 8 deliveries to ${url} (secret ${secret.slice(0, 6)}…)`);
  const results = await sendTestWebhooks(url, { secret, log: (line) => console.log(line) });
  return results.every((r) => r.ok) ? 0 : 1;
}

const [command, ...args] = process.argv.slice(2);
if (command === '--help' || command === '-h' || command === 'help') {
  console.log(USAGE);
} else if (!COMMANDS[command]) {
  console.error(command ? `coassemble-events: unknown command "${command}"\n${USAGE}` : USAGE);
  process.exitCode = 2;
} else {
  const code = await COMMANDS[command].run(args);
  // A command that serves (inbox serve) resolves undefined and keeps running.
  if (code !== undefined) process.exitCode = code;
}
