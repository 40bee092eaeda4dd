// coassemble-events/testing: stand-ins for Coassemble in your own end-to-end tests (Node 20+).

/** An envelope the emulator posts: `'type:event'` (no data) or a full `{ type, event?, data? }`. */
export type EmulatedMessage = string | { type: string; event?: string; data?: unknown; [key: string]: unknown };

/** What an emulator page does once it loads in the page under test. */
export interface EmulatorOptions {
  /** The origin of the page that embeds the emulator (it posts only there). Required. */
  parent: string;
  /** `'string'` (JSON text, the classic form; default) or `'object'` (a structured envelope). */
  envelope?: 'string' | 'object';
  /** Messages posted in order right after `session:ready`, e.g. `['course:start', { type: 'course', event: 'progress', data: { progress: 50 } }]`. */
  events?: EmulatedMessage[];
  /** `false`: withhold `session:ready` (to test ready timeouts). Default true. */
  ready?: boolean;
}

/** Running emulators. */
export interface Emulators {
  /** Their origin, e.g. `http://127.0.0.1:41234`: pass it as the embed's `origin` (or let the SDK derive it). */
  readonly origin: string;
  /** URL of the course player emulator, to embed where a signed Coassemble URL would go. */
  playerUrl(options: EmulatorOptions): string;
  /** URL of the course builder emulator. */
  builderUrl(options: EmulatorOptions): string;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Starts the player and builder emulators on their own origin. The pages speak the real wire format
 * and obey commands the host page posts to them:
 * `iframe.contentWindow.postMessage({ coassembleEmulator: 'next' }, emulators.origin)`.
 * Commands: `send` (`{ messages }`), `envelope` (`{ envelope }`), `expire`, `noise`, `malformed`;
 * player: `next`, `back`, `answer` (`{ option }`), `retry`; builder: `title` (`{ title }`), `create`,
 * `back`, `error`. Each page records what it posted in `window.__sent`.
 */
export function startEmulators(options?: { port?: number; host?: string }): Promise<Emulators>;

/** A signed delivery: send it with `fetch(url, { method: 'POST', headers, body })`. */
export interface SignedWebhook {
  headers: Record<string, string>;
  body: string;
}

/**
 * Signs a webhook delivery as Coassemble does (HMAC-SHA256 over `<timestamp>.<body>`, by the same
 * Rust code that verifies). `body`: a string sent as is, or a value sent as its JSON.
 * Defaults: `timestamp` now (unix seconds), `deliveryId` a random UUID, `event` the body's `type`.
 */
export function signWebhook(options: {
  secret: string;
  body: string | object;
  timestamp?: number;
  deliveryId?: string;
  event?: string;
}): SignedWebhook;

/** One of the eight test deliveries, with the answer a correct receiver gives (`'401 bad_signature'`; a bare `'200'` accepts any word). */
export interface TestWebhookCase extends SignedWebhook {
  name: string;
  expected: string;
}

/** The eight cases `npx coassemble-events send-test-webhooks` sends, signed with `secret`. */
export function testWebhookCases(secret: string): TestWebhookCase[];

/** Sends the eight cases to `url`; resolves to what each got. */
export function sendTestWebhooks(
  url: string,
  options: { secret: string; log?: (line: string) => void },
): Promise<{ name: string; expected: string; outcome: string; ok: boolean }[]>;
