// A minimal Coassemble webhook receiver on node:http (no framework, no dependency).
//
//   COASSEMBLE_WEBHOOK_SECRET=whsec_demo PORT=3000 node examples/node-receiver.mjs
//   npx coassemble-events send-test-webhooks http://localhost:3000/webhooks
//
// Deduplication here is in memory, so it is lost on restart: for a durable store see
// createFileDeliveryStore in www/webhook-receiver.mjs, or use a unique key in your database.
import { createServer } from 'node:http';
import { verifyWebhook, WebhookError } from 'coassemble-events/webhooks';

const secrets = (process.env.COASSEMBLE_WEBHOOK_SECRET ?? 'whsec_demo').split(',').map((s) => s.trim());
const done = new Set(); // processed delivery ids
const inProgress = new Set();

async function processDelivery(delivery) {
  if (delivery.type === 'course.completed') {
    const { course, tracking } = delivery.event;
    console.log(`${tracking.email ?? tracking.identifier} completed "${course.title}" in ${tracking.totalTime} s`);
  } else {
    console.log(`${delivery.type} ${delivery.id}`);
  }
}

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/webhooks') return res.writeHead(404).end();
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks); // the raw bytes: the signature covers them exactly

  let delivery;
  try {
    delivery = verifyWebhook({ headers: req.headers, body, secrets, toleranceSeconds: 300 });
  } catch (err) {
    if (!(err instanceof WebhookError)) throw err;
    return res.writeHead(err.status).end(err.code); // 400 or 401
  }
  if (done.has(delivery.id)) return res.writeHead(200).end('duplicate');
  if (inProgress.has(delivery.id)) return res.writeHead(409).end('in_progress'); // retried later
  inProgress.add(delivery.id);

  res.writeHead(200).end('accepted'); // acknowledge within Coassemble's 10 s, then do the work
  try {
    await processDelivery(delivery);
    done.add(delivery.id); // done only once processed
  } catch (err) {
    console.error(`processing ${delivery.id} failed; a retry will process it`, err);
  } finally {
    inProgress.delete(delivery.id);
  }
});

server.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening on http://localhost:${server.address().port}/webhooks`);
});
