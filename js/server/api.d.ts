// coassemble-events/api: the Coassemble Headless API, server side (Node 20+, Deno, Bun, Workers).
/** The stable codes of {@link CoassembleApiError}. */
export type CoassembleApiErrorCode =
  /** 401 or 403: the API key is wrong, revoked, or lacks the right. */
  | 'unauthorized'
  /** 404: no such course, endpoint or path (check `baseUrl`). */
  | 'not_found'
  /** 429 on every attempt, or a `Retry-After` longer than `maxRetryWaitMs` (see `retryAfterMs`). */
  | 'rate_limited'
  /** 5xx, 408, a timeout or no connection, on every attempt. */
  | 'unavailable'
  /** A 2xx whose body is not what the API answers (not JSON, not a URL, not a list). */
  | 'invalid_answer'
  /** Another 4xx: the API refused the request as sent. */
  | 'invalid_request';

/** Why a call failed. The message names the method and path only: never the key, a query or a body. */
export class CoassembleApiError extends Error {
  readonly name: 'CoassembleApiError';
  constructor(code: CoassembleApiErrorCode, message: string, details?: { status?: number; retryAfterMs?: number; cause?: unknown });
  readonly code: CoassembleApiErrorCode;
  /** The HTTP status of the last answer; 0 when none came (timeout, no connection). */
  readonly status: number;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
}

export interface CoassembleApiOptions {
  /** The workspace API key, `COASSEMBLE:<workspaceId>:<secret>` (`<workspaceId>:<secret>` is accepted). Server side only. */
  apiKey: string;
  /** Default `https://api.coassemble.com` (a trailing `/api` is accepted). */
  baseUrl?: string;
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Per attempt, answer body included. Default 30 000. */
  timeoutMs?: number;
  /** Attempts after the first, on 429 (any request) and on 5xx/timeouts (requests safe to repeat). Default 3. */
  retries?: number;
  /** The first wait between attempts, doubling, when the server sends no `Retry-After`. Default 500. */
  retryDelayMs?: number;
  /** The longest wait between attempts; a longer `Retry-After` ends the call with `rate_limited`. Default 30 000. */
  maxRetryWaitMs?: number;
}

/** Per call: an AbortSignal that cancels it (the promise rejects with the signal's reason). */
export interface CallOptions {
  signal?: AbortSignal;
}

/** What `embedUrl` sends to `POST /api/v1/headless/embed/course`. */
export interface EmbedUrlRequest {
  /** `'view'`: the course player (a learner); `'edit'`: the course builder (an author). */
  action: 'view' | 'edit';
  /** Required for `'view'`; for `'edit'`, omit it to create a new course. */
  courseId?: number | string;
  /** Your id of the learner or author (what trackings and webhooks carry back). */
  identifier: string;
  /** Your id of the learner's organisation, for multi-tenant workspaces. */
  clientIdentifier?: string;
  /** The author's display name (builder). */
  name?: string;
  themeId?: number | string;
  /** Player/builder options, e.g. `{ back: 'event' }` (the back button posts an event instead of navigating). */
  options?: { back?: 'event' | 'hidden'; legacy?: boolean; language?: string; [option: string]: unknown };
}

/** One learner's tracking of one course, in one shape whatever variant the API answered. */
export interface Tracking {
  courseId: number | string;
  /** The learner id the embed URL was minted with. */
  identifier: string | null;
  /** When the learner started, as sent (ISO 8601), or null. */
  commenced: string | null;
  /** When the learner completed, as sent, or null (also for `false`). */
  completed: string | null;
  /** 0–100; 100 when completed (Coassemble's own rule); null when not sent. */
  progress: number | null;
  score: number | null;
  passed: boolean | null;
  /** The row as received. */
  raw: unknown;
}

export interface WebhookEndpoint {
  id: string | number;
  url: string;
  events: string[];
  enabled?: boolean;
  /** The signing secret: in the answer of `create` only, **this once**. Store it where your receiver reads its secrets. */
  secret?: string;
  [field: string]: unknown;
}

export interface CoassembleApi {
  /** The API host in use, without `/api`. */
  readonly baseUrl: string;
  /**
   * Mints a signed player (`view`) or builder (`edit`) URL, valid about 3 hours: mint one per page
   * load on your server and hand it to the page; never store it. Retried like a read (minting twice
   * does nothing twice).
   */
  embedUrl(request: EmbedUrlRequest, options?: CallOptions): Promise<string>;
  /** Every tracking of a course, page after page (`pageSize` default 100). */
  trackings(query: { courseId: number | string; clientIdentifier?: string; pageSize?: number } & CallOptions): AsyncIterable<Tracking>;
  /** Every course of the workspace, as the API answers them. */
  courses(query?: { pageSize?: number } & CallOptions): AsyncIterable<Record<string, unknown>>;
  webhooks: {
    /** The endpoints (and the event types the workspace can subscribe to). */
    list(options?: CallOptions): Promise<{ events: string[]; endpoints: WebhookEndpoint[] }>;
    /**
     * Registers an endpoint. The answer holds its signing `secret` **only this once**. Not retried on a
     * 5xx or a timeout (it may have been created): list the endpoints before trying again.
     */
    create(endpoint: { url: string; events: string[]; enabled?: boolean }, options?: CallOptions): Promise<WebhookEndpoint>;
    delete(id: string | number, options?: CallOptions): Promise<void>;
  };
}

/**
 * A Headless API client. Unknown options are a `TypeError` (a typo is never silently ignored).
 *
 * ```js
 * import { createCoassembleApi } from 'coassemble-events/api';
 * const api = createCoassembleApi({ apiKey: process.env.COASSEMBLE_API_KEY });
 * const url = await api.embedUrl({ action: 'view', courseId: 981, identifier: user.id, options: { back: 'event' } });
 * for await (const t of api.trackings({ courseId: 981 })) if (t.completed) console.log(t.identifier);
 * ```
 */
export function createCoassembleApi(options: CoassembleApiOptions): CoassembleApi;

export const DEFAULT_BASE_URL: 'https://api.coassemble.com';
