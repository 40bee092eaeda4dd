// A Coassemble webhook receiver on node:http that loses nothing: verify, store in the inbox, then 200;
// a worker in the same process runs the handler, with retries and dead letters.
//
//   COASSEMBLE_WEBHOOK_SECRET=whsec_demo PORT=3000 node examples/node-receiver.mjs   (several secrets: a,b)
//   npx coassemble-events send-test-webhooks http://localhost:3000/webhooks
//
// DATABASE_URL: postgres://… (npm install pg) for several instances, or a SQLite file path
// (npm install better-sqlite3@12); default ./webhooks.sqlite. Several processes may share either.
import { createServer } from 'node:http';
import { openInbox } from 'coassemble-events/inbox';

const inbox = await openInbox(process.env.DATABASE_URL ?? 'webhooks.sqlite', {
  secrets: (process.env.COASSEMBLE_WEBHOOK_SECRET ?? 'whsec_demo').split(','),
});

// Runs at least once per delivery: a crash between the effect and its record runs it again, so key
// the effect on delivery.id (here a log line; in your app e.g. INSERT ... ON CONFLICT DO NOTHING).
// `signal` is aborted when the run times out (handlerTimeoutMs, 20 s) or its lease is lost: pass it
// to fetch() or your driver so the work stops. `delivery.raw` is the exact JSON text (big integers).
inbox.start(async (delivery, { signal }) => {
  if (delivery.type === 'course.completed') {
    const { course, tracking } = delivery.event;
    console.log(`${delivery.id}: ${tracking?.email ?? tracking?.identifier} completed "${course?.title}"`);
  } else {
    console.log(`${delivery.id}: ${delivery.type}`);
  }
});

const server = createServer((req, res) =>
  req.method === 'POST' && req.url === '/webhooks' ? inbox.nodeListener(req, res) : res.writeHead(404).end(),
);
server.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening on http://localhost:${server.address().port}/webhooks (inbox: ${inbox.dialect})`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => inbox.close().then(() => process.exit(0))));
}
