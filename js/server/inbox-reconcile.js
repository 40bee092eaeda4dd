// Reconciliation (issue 17): deliveries Coassemble gave up on, found again through the Headless API.
//
// Coassemble tries a webhook 4 times over about 36 minutes (PROTOCOL.md §3) and then drops it: a
// receiver that was down longer has lost those deliveries. The trackings API lists, per course, every
// learner with when they commenced and completed. Reconciliation pulls every tracking of the courses
// (all pages) and, for every commenced or completed event the inbox has no delivery for, stores a
// synthetic delivery of that type, shaped like Coassemble's body (the same handler runs it;
// `delivery.reconciled === true` tells it apart), with a deterministic id `reconciled:<identity>`.
//
// Exactly once, decided by the database, not by this file: the row's `identity`
// (`<type>:<course id>:<learner>`, computed by the crate's one rule, WebhookEvent::identity, through
// the wasm) is a unique key, and so is the delivery id. The synthetic delivery goes through the same
// `insert` as a webhook (ON CONFLICT DO NOTHING): stored → `recovered`; not stored → `known` (the
// webhook, or an earlier reconciliation, has it). A webhook that arrives after its reconciled twin
// meets the identity and is answered as a duplicate, and the other way round. Two instances
// reconciling at once therefore store nothing twice; the lock (below) only saves the work.
//
// The retention limit: processed rows are purged after `retentionMs` (7 days by default), and with
// them their identity: an event older than that cannot be proven known any more, and storing it
// would grant it twice. So only events whose commenced/completed time is within the retention period
// minus a safety margin (`marginMs`, default 1 day: clock skew between Coassemble and us, and a
// retention pass that runs late is harmless, but an event time that Coassemble stamped before our
// webhook row was processed only makes the row younger) are considered; older ones are counted as
// `skipped`. A row is purged no earlier than retentionMs after it was processed, and it was
// processed after the event happened, so a row for an event younger than retentionMs still exists.
//
// Errors: every course is listed in full before anything is stored, so an API failure (wrong key,
// 5xx, garbage) stores nothing; each synthetic delivery is one atomic insert, so a database failure
// mid-way leaves whole deliveries only, and the next run stores the rest (the unique keys make a
// repeat harmless). Both end the run with a ReconcileError (`code`).
import { decodeWebhookBody } from '../../pkg/webhooks/coassemble_events_webhooks.js';
import { rejectUnknownOptions } from './options.js';

/** Events younger than retentionMs minus this are considered (see the header). */
export const DEFAULT_RECONCILE_MARGIN_MS = 24 * 3_600_000;
/** A scheduled run's lease on the lock row: another instance may take over after it. */
export const DEFAULT_RECONCILE_LEASE_MS = 10 * 60_000;
/** The lock row's name. */
const LOCK = 'reconcile';
/** Synthetic deliveries stored at once (they join the intake's group commit). */
const INSERT_CHUNK = 100;

/** Why a reconciliation stopped: `code` says which side failed; nothing half-stored (see the header). */
export class ReconcileError extends Error {
  /**
   * @param {'api_unauthorized'|'api_unavailable'|'api_invalid_answer'|'api_failed'|'store_unavailable'} code
   * @param {string} message
   * @param {{ cause?: unknown, report?: object }} [details]
   */
  constructor(code, message, { cause, report } = {}) {
    super(message, { cause });
    this.name = 'ReconcileError';
    this.code = code;
    /** What was done before the failure (recovered deliveries are stored and stay so). */
    this.report = report ?? null;
  }
}

function apiFailure(error, course) {
  const code = error?.name === 'CoassembleApiError' || typeof error?.code === 'string'
    ? { unauthorized: 'api_unauthorized', unavailable: 'api_unavailable', rate_limited: 'api_unavailable', invalid_answer: 'api_invalid_answer' }[error.code] ?? 'api_failed'
    : 'api_failed';
  return new ReconcileError(code, `reconcile: listing the trackings of course ${course} failed: ${error?.message ?? error} (nothing was stored)`, { cause: error });
}

const instant = (text) => {
  if (typeof text !== 'string' || text === '') return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
};

/** A tracking's field from the API's raw row, in either spelling, or null. */
function rawField(raw, ...names) {
  if (raw === null || typeof raw !== 'object') return null;
  for (const name of names) if (raw[name] !== undefined) return raw[name];
  return null;
}

/**
 * The body Coassemble would have sent for this event (PROTOCOL.md §2), from the tracking, marked
 * `"reconciled": true` (unsigned; the row's `reconciled` column is what handlers see).
 */
function bodyOf(type, courseId, tracking, occurredAt, clientIdentifier) {
  const raw = tracking.raw;
  const whole = (v) => (Number.isSafeInteger(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null);
  return {
    id: null,
    type,
    occurredAt,
    workspaceId: null,
    reconciled: true,
    data: {
      course: { id: whole(courseId) ?? courseId, title: null, key: null, clientIdentifier: clientIdentifier ?? null },
      tracking: {
        id: whole(rawField(raw, 'id')),
        identifier: tracking.identifier,
        email: typeof rawField(raw, 'email') === 'string' ? rawField(raw, 'email') : null,
        commenced: tracking.commenced,
        completed: type === 'course.completed' ? tracking.completed : null,
        totalTime: whole(rawField(raw, 'totalTime', 'total_time')),
        progressPercent: type === 'course.completed' ? 100 : tracking.progress,
      },
    },
  };
}

/**
 * The reconciliation of one inbox. `store` is the inbox's store; `lifecycle` the intake's row options
 * (maxAttempts, firstRetryMs, maxRetryMs).
 */
export function createReconciler({ store, now, retentionMs, lifecycle, emit, wake }) {
  const encoder = new TextEncoder();

  async function reconcile(options) {
    const where = 'inbox.reconcile';
    if (options === null || typeof options !== 'object') throw new TypeError(`${where}: pass { api, courseIds }`);
    rejectUnknownOptions(where, options, ['api', 'courseIds', 'clientIdentifier', 'marginMs', 'pageSize', 'signal']);
    const { api, courseIds, clientIdentifier, marginMs = DEFAULT_RECONCILE_MARGIN_MS, pageSize, signal } = options;
    if (!api || typeof api.trackings !== 'function') throw new TypeError(`${where}: \`api\` must be a Headless API client (createCoassembleApi from coassemble-events/api)`);
    if (!Array.isArray(courseIds) || courseIds.length === 0 || !courseIds.every((c) => Number.isSafeInteger(c) || (typeof c === 'string' && c !== ''))) {
      throw new TypeError(`${where}: \`courseIds\` must be a non-empty array of course ids`);
    }
    if (clientIdentifier !== undefined && (typeof clientIdentifier !== 'string' || clientIdentifier === '')) {
      throw new TypeError(`${where}: \`clientIdentifier\` must be a non-empty string`);
    }
    if (!Number.isSafeInteger(marginMs) || marginMs < 0 || marginMs >= retentionMs) {
      throw new TypeError(`${where}: \`marginMs\` must be an integer from 0 to below the inbox's retentionMs (${retentionMs})`);
    }
    const started = now();
    const since = started - (retentionMs - marginMs);
    const report = {
      courses: courseIds.length,
      listed: 0,
      recovered: 0,
      known: 0,
      skipped: 0,
      unidentified: 0,
      since,
      startedAt: started,
      durationMs: 0,
      recoveredIds: [],
    };
    try {
      // 1. List every course in full first: an API failure stores nothing.
      const rows = [];
      for (const courseId of courseIds) {
        try {
          for await (const tracking of api.trackings({ courseId, clientIdentifier, pageSize, signal })) {
            report.listed++;
            for (const [type, at] of [['course.commenced', tracking.commenced], ['course.completed', tracking.completed]]) {
              if (at == null) continue;
              const ms = instant(at);
              // Unreadable time, or older than the window: its webhook row may be purged already.
              if (ms === null || ms < since) {
                report.skipped++;
                continue;
              }
              const bytes = encoder.encode(JSON.stringify(bodyOf(type, courseId, tracking, at, clientIdentifier)));
              // The identity by the crate's one rule (the wasm), from the body the handler will get.
              const signedAt = Math.floor(started / 1000);
              const identity = decodeWebhookBody('reconciled', type, signedAt, bytes).identity ?? null;
              if (identity === null) {
                report.unidentified++;
                continue;
              }
              rows.push({ id: `reconciled:${identity}`, type, signedAt, body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), identity });
            }
          }
        } catch (error) {
          if (error instanceof TypeError && error.message.startsWith('api.')) throw error;
          throw apiFailure(error, courseId);
        }
      }
      // 2. Store each through the intake's insert: the unique keys decide recovered or known.
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const chunk = rows.slice(i, i + INSERT_CHUNK);
        let stored;
        try {
          stored = await Promise.all(chunk.map((r) => store.insert({
            id: r.id,
            type: r.type,
            signedAt: r.signedAt,
            receivedAt: now(),
            body: r.body,
            status: 'received',
            eventId: null,
            test: false,
            lastError: null,
            ...lifecycle,
            identity: r.identity,
            reconciled: true,
          })));
        } catch (error) {
          throw new ReconcileError('store_unavailable', `reconcile: the inbox database failed: ${error?.message ?? error} (deliveries stored so far are complete; run again)`, { cause: error });
        }
        chunk.forEach((r, j) => {
          if (stored[j]) {
            report.recovered++;
            if (report.recoveredIds.length < 1000) report.recoveredIds.push(r.id);
          } else {
            report.known++;
          }
        });
      }
      if (report.recovered > 0) wake();
      report.durationMs = now() - started;
      emit({ kind: 'reconcile', outcome: 'ok', ...summary(report) });
      return report;
    } catch (error) {
      report.durationMs = now() - started;
      if (error instanceof ReconcileError) {
        error.report = report;
        emit({ kind: 'reconcile', outcome: 'failed', code: error.code, ...summary(report) });
      }
      throw error;
    }
  }

  const summary = (r) => ({ recovered: r.recovered, known: r.known, listed: r.listed, skipped: r.skipped, durationMs: r.durationMs });

  /**
   * One scheduled round: runs `reconcile(options)` when this instance takes the lock and the fleet's
   * last run is at least everyMs old; records the run on the lock row. Resolves with the report, or
   * null when another instance holds the lock or ran recently.
   */
  async function scheduledRound({ owner, everyMs, leaseMs, reconcileOptions }) {
    const t = now();
    const taken = await store.lockTake({ name: LOCK, owner, now: t, until: t + leaseMs, due: t - everyMs });
    if (!taken) return null;
    let outcome = 'ok';
    let report = null;
    try {
      report = await reconcile(reconcileOptions);
      return report;
    } catch (error) {
      outcome = error?.code ?? 'failed';
      report = error?.report ?? null;
      throw error;
    } finally {
      const text = JSON.stringify(report ? { ...report, recoveredIds: undefined } : null);
      await store.lockRelease({ name: LOCK, owner, now: now(), outcome, report: text }).catch(() => {});
    }
  }

  return {
    reconcile,
    scheduledRound,
    lastRun: () => store.lockGet({ name: LOCK }),
  };
}
