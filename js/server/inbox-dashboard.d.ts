/**
 * An operator's dashboard for a webhook inbox (`coassemble-events/inbox`): counts by status, the age
 * of the oldest due delivery, intake and processing per hour (last 24 h), deliveries filtered by
 * status and type with their attempts, next run and last error, a delivery's stored body, re-drive
 * of one or every dead delivery, and reconciliation when the inbox has it.
 *
 * A `node:http` handler serving a static page (shipped in the package's `dashboard/` folder) and a
 * JSON API under `api/`. Mount it under a prefix, behind your app's own auth:
 *
 * @example
 * ```js
 * import { createInboxDashboard } from 'coassemble-events/inbox/dashboard';
 * // Express strips the mount path:
 * app.use('/admin/webhooks', createInboxDashboard(inbox, { token: process.env.COASSEMBLE_INBOX_TOKEN }));
 * // node:http does not: say where it is mounted.
 * const dashboard = createInboxDashboard(inbox, { token, basePath: '/admin/webhooks' });
 * createServer((req, res) => req.url.startsWith('/admin/webhooks') ? dashboard(req, res) : app(req, res));
 * ```
 *
 * The stored bodies hold learners' emails: the API needs `Authorization: Bearer <token>` (the page
 * asks for the token once and keeps it in `sessionStorage`, never in a cookie). With `token: null`
 * it answers only requests that arrive over loopback, addressed to a loopback host, and not through
 * a proxy (`X-Forwarded-For`/`Forwarded`). Writes (re-drive, reconcile) are POST with a JSON content
 * type, and refused when `Origin` is another origin or `Sec-Fetch-Site` is not `same-origin`.
 *
 * API (relative to the mount path): `GET api/summary`, `GET api/activity?hours=24`,
 * `GET api/deliveries?status=&type=&limit=`, `GET api/deliveries/<id>`,
 * `POST api/redrive` `{"id": "…"}` or `{"all": true}`, `POST api/reconcile` `{"courseId"?: …}`
 * (501 `not_configured` until the inbox has a reconcile function).
 * @packageDocumentation
 */
import type { Inbox, NodeRequest, NodeResponse } from './inbox.js';

/** Options of {@link createInboxDashboard}. */
export interface InboxDashboardOptions {
  /** The bearer token (16+ characters, e.g. `process.env.COASSEMBLE_INBOX_TOKEN`), or `null`: loopback requests only. */
  token: string | null;
  /**
   * The reconcile button's function, called with `{ courseId? }`; its result is shown. Default:
   * `inbox.reconcile` when the inbox has one, else the button shows "not configured".
   */
  reconcile?: (request: { courseId?: string | number }) => unknown;
  /** Where a `node:http` server mounts it, e.g. `/admin/webhooks` (not needed under Express's `app.use`). */
  basePath?: string;
}

/** The dashboard's handler: `(req, res)`; never rejects (a database error is a 503 JSON answer). */
export declare function createInboxDashboard(
  inbox: Inbox,
  options: InboxDashboardOptions,
): (req: NodeRequest, res: NodeResponse) => Promise<void>;

/** Whether a socket address is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x). */
export declare function isLoopback(address: string | undefined): boolean;
