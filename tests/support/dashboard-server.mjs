// A seeded inbox behind the dashboard, on a loopback port, as an app would mount it (node:http):
//   /admin/webhooks/  createInboxDashboard(inbox, { token, reconcile, basePath }): the test's reconcile
//   /plain/           the same inbox without a reconcile function ("not configured")
//   /metrics          createInboxMetrics(inbox)
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInboxDashboard } from 'coassemble-events/inbox/dashboard';
import { createInboxMetrics } from 'coassemble-events/inbox/metrics';
import { seedInbox } from './inbox-seed.mjs';

/**
 * Resolves with `{ url, token, inbox, ids, reconcileCalls, close() }`; `url` is the server's origin.
 * `reconcile(request)` is what the admin dashboard's button calls (default: records the call and
 * answers `{ recovered: 2, checked: 41 }`).
 */
export async function startDashboard({ reconcile } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-dashboard-'));
  const { inbox, ids } = await seedInbox(join(dir, 'inbox.sqlite'));
  const token = `tok_${randomBytes(18).toString('base64url')}`;
  const reconcileCalls = [];
  const admin = createInboxDashboard(inbox, {
    token,
    basePath: '/admin/webhooks',
    reconcile: reconcile ?? (async (request) => {
      reconcileCalls.push(request);
      inbox.emit({ kind: 'reconcile', outcome: 'ok', recovered: 2 });
      return { recovered: 2, checked: 41 };
    }),
  });
  const plain = createInboxDashboard(inbox, { token, basePath: '/plain' });
  const metrics = createInboxMetrics(inbox);
  const server = createServer((req, res) => {
    if (req.url.startsWith('/admin/webhooks')) return admin(req, res);
    if (req.url.startsWith('/plain')) return plain(req, res);
    if (req.url === '/metrics') return metrics.handler(req, res);
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url, token, inbox, ids, reconcileCalls,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      metrics.close();
      await inbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
