/**
 * Prometheus metrics of a webhook inbox (`coassemble-events/inbox`), in the text exposition format.
 *
 * Counters and histograms count what this process's inbox does from the moment the metrics are
 * created (through {@link Inbox.observe}); gauges are read from the database at each scrape, so every
 * process of a fleet reports the same table state (aggregate them with `max`). Every name starts with
 * `coassemble_inbox_`:
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `coassemble_inbox_deliveries` | gauge | `status` (received, processing, processed, failed, dead) |
 * | `coassemble_inbox_oldest_due_age_seconds` | gauge | how long the longest-waiting due delivery has been due |
 * | `coassemble_inbox_database_up` | gauge | 1 when the scrape could read the database |
 * | `coassemble_inbox_intakes_total` | counter | `outcome` (stored, duplicate, refused, unavailable), `code` (the refusal's code, e.g. bad_signature) |
 * | `coassemble_inbox_intake_duration_seconds` | histogram | verify + durable store, per answered delivery |
 * | `coassemble_inbox_runs_total` | counter | `outcome` (processed, failed, dead, lost, timed_out) |
 * | `coassemble_inbox_handler_duration_seconds` | histogram | `outcome` |
 * | `coassemble_inbox_leases_expired_total` | counter | `how` (taken_over: run again; buried: dead, expired on its last run) |
 * | `coassemble_inbox_retention_purged_total` / `_retention_runs_total` | counter | processed deliveries removed by retention, passes |
 * | `coassemble_inbox_dead_purged_total` | counter | dead deliveries removed by `purgeDead` |
 * | `coassemble_inbox_reconcile_runs_total` | counter | `outcome` (ok, failed) |
 * | `coassemble_inbox_reconciled_total` | counter | deliveries recovered by reconciliation |
 *
 * Reconciliation (or any extension) reports through the inbox:
 * `inbox.emit({ kind: 'reconcile', outcome: 'ok', recovered: 3 })`.
 *
 * @example
 * ```js
 * import { createInboxMetrics } from 'coassemble-events/inbox/metrics';
 * const metrics = createInboxMetrics(inbox);
 * app.get('/metrics', metrics.handler);
 * ```
 * @packageDocumentation
 */
import type { Inbox, NodeRequest, NodeResponse } from './inbox.js';

/** Histogram buckets of the intake, seconds. */
export declare const INTAKE_BUCKETS: readonly number[];
/** Histogram buckets of the handler, seconds. */
export declare const HANDLER_BUCKETS: readonly number[];
/** `text/plain; version=0.0.4; charset=utf-8` */
export declare const METRICS_CONTENT_TYPE: string;

/** Options of {@link createInboxMetrics}. */
export interface InboxMetricsOptions {
  /**
   * When set (16+ characters), `handler` answers 401 unless the request carries
   * `Authorization: Bearer <token>` (Prometheus: `authorization: { credentials: <token> }` in the
   * scrape config). Default: none (the exposition holds counts, no personal data).
   */
  token?: string | null;
}

/** The metrics of one inbox. */
export interface InboxMetrics {
  /** The exposition text; reads the database gauges now (`database_up` 0 when that fails). */
  text(): Promise<string>;
  /** `node:http` / Express handler for `GET /metrics`. */
  handler(req: NodeRequest, res: NodeResponse): Promise<void>;
  /** The exposition's content type, for fetch-style servers: `new Response(await m.text(), { headers: { 'content-type': m.contentType } })`. */
  readonly contentType: string;
  /** Stops observing the inbox. */
  close(): void;
}

/** Starts counting `inbox`'s events and returns its metrics. */
export declare function createInboxMetrics(inbox: Inbox, options?: InboxMetricsOptions): InboxMetrics;

/** Whether an `Authorization` header is `Bearer <token>` (constant-time comparison). */
export declare function bearerMatches(header: string | undefined, token: string): boolean;
