// Oversized and slow request bodies at the Node receiver (coassemble-events/inbox's nodeListener) and
// at the Rust receiver: a declared 512 MiB body and a streamed (chunked) 256 MiB body are answered 413
// promptly, long before the sender could finish, and the server's memory (VmHWM, its peak resident
// set, from /proc) grows by far less than the body; a body sent a byte at a time (slowloris) is
// answered 408, or its connection closed, within BODY_TIMEOUT_MS. The receiver then still takes a
// delivery. The figures are printed.
// The 413 must reach the sender, who is still writing its body when it comes: a server that closes at
// once with unread bytes in its socket makes the kernel send a reset, which can discard the answer
// before the sender reads it (it then sees "connection reset", not 413, and retries the same body).
// RFC 9112 §9.6 asks for a staged close: answer with `Connection: close`, half-close, keep reading and
// discarding for a bounded time or amount, then close. This client reads the answer as soon as it
// arrives, as any HTTP client does; a reset without an answer fails the test. (Measured on 2026-12-06:
// an immediate close loses the 413 in 40 % of declared-size requests to the Node listener and about
// 80 % to the Rust one; in Node, answering without `Connection: close` and discarding what still comes,
// at most 16 MiB or 2 s, before destroying the request passed 5 runs out of 5.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RUST, NODE, Receiver, buildRustReceiver, withReceivers, receiverEnv, freePort, sendAll,
} from './kit.mjs';

const MiB = 1024 * 1024;
const BODY_TIMEOUT_MS = 2000;

before(() => buildRustReceiver());

/**
 * One raw HTTP/1.1 request: `head` (the request line and headers), then the body as the server takes
 * it (64 KiB writes with backpressure, chunked framing when `chunked`), `total` bytes at most, or
 * `trickle` (one byte every `trickle` ms). Ends at the first response line, when the server closes,
 * or at `deadlineMs`: `{ status (a number, 'closed', 'reset' or 'deadline'), ms, sent }`.
 */
function rawRequest(port, { head, total, chunked = false, trickle = 0, deadlineMs }) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const t0 = performance.now();
    let sent = 0;
    let response = '';
    let done = false;
    let ticker;
    const finish = (status) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(ticker);
      socket.destroy();
      resolve({ status, ms: performance.now() - t0, sent });
    };
    const timer = setTimeout(() => finish('deadline'), deadlineMs);
    socket.on('data', (data) => {
      response += data.toString('latin1');
      const line = /^HTTP\/1\.[01] (\d{3})/.exec(response);
      if (line) finish(Number(line[1]));
    });
    socket.on('error', (error) => finish(error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : error.code));
    socket.on('close', () => finish('closed'));
    const piece = Buffer.alloc(64 * 1024, 0x20); // spaces: valid JSON whitespace, were it ever parsed
    const frame = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    const pump = () => {
      while (!done && sent < total) {
        sent += piece.length;
        if (!socket.write(chunked ? frame : piece)) { socket.once('drain', pump); return; }
      }
      if (!done && chunked) socket.write('0\r\n\r\n');
    };
    socket.on('connect', () => {
      socket.write(head);
      if (trickle) {
        ticker = setInterval(() => { if (!done && sent < total) { socket.write(' '); sent++; } }, trickle);
      } else {
        pump();
      }
    });
  });
}

/** A request head with a delivery's headers (a fresh timestamp; the signature cannot be checked before the body is read). */
function headOf(framing) {
  return [
    'POST /webhooks HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'X-Coassemble-Event: course.completed',
    `X-Coassemble-Delivery: big-${randomUUID()}`, `X-Coassemble-Timestamp: ${Math.floor(Date.now() / 1000)}`,
    `X-Coassemble-Signature: sha256=${'0'.repeat(64)}`, framing, '', '',
  ].join('\r\n');
}

const fmt = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

for (const [name, command] of [['Node', NODE], ['Rust', RUST]]) {
  test(`${name} receiver: 413 for a declared 512 MiB body and a streamed 256 MiB one with little memory, 408 or close for a slowloris body`, { timeout: 120_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'inbox-bodies-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const env = receiverEnv(join(dir, 'inbox.db'), { ROLE: 'receiver', BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS) });
    const receiver = new Receiver(name, { ...env, PORT: await freePort() }, command);
    await withReceivers(t, [receiver]);
    const port = Number(receiver.env.PORT);
    const deliver = async () => (await sendAll({ ids: [`ok-${randomUUID()}`], urls: [receiver.url], concurrency: 1 })).unacknowledged;
    assert.deepEqual(await deliver(), [], 'a usual delivery is taken');
    const before = receiver.memory();

    // Every figure first, then the checks: a failing run still prints what it measured.
    const declared = await rawRequest(port, { head: headOf(`Content-Length: ${512 * MiB}`), total: 512 * MiB, deadlineMs: 10_000 });
    const streamed = await rawRequest(port, { head: headOf('Transfer-Encoding: chunked'), total: 256 * MiB, chunked: true, deadlineMs: 10_000 });
    const after = receiver.memory();
    const slow = await rawRequest(port, { head: headOf('Content-Length: 10000'), total: 10_000, trickle: 100, deadlineMs: BODY_TIMEOUT_MS + 5000 });
    const fresh = await deliver();
    console.log(`# ${name} receiver: declared 512 MiB -> ${declared.status} in ${declared.ms.toFixed(0)} ms after ${fmt(declared.sent)} sent; `
      + `streamed 256 MiB -> ${streamed.status} in ${streamed.ms.toFixed(0)} ms after ${fmt(streamed.sent)} sent; `
      + `VmRSS ${fmt(before.rss)} -> ${fmt(after.rss)}, VmHWM ${fmt(before.hwm)} -> ${fmt(after.hwm)}; slowloris -> ${slow.status} after ${slow.ms.toFixed(0)} ms (${slow.sent} B)`);

    assert.equal(declared.status, 413, `declared 512 MiB: ${JSON.stringify(declared)}`);
    assert.ok(declared.sent < 64 * MiB, `declared 512 MiB: answered after ${fmt(declared.sent)} sent, long before the end`);
    assert.equal(streamed.status, 413, `streamed 256 MiB: ${JSON.stringify(streamed)}`);
    assert.ok(streamed.sent < 64 * MiB, `streamed 256 MiB: answered after ${fmt(streamed.sent)} sent, long before the end`);
    // The limit is 1 MiB: a receiver that buffers up to it and stops grows by a few MiB at most.
    assert.ok(after.hwm - before.hwm < 32 * MiB, `peak memory grew by ${fmt(after.hwm - before.hwm)} (VmHWM ${fmt(before.hwm)} -> ${fmt(after.hwm)})`);
    assert.ok(slow.status === 408 || slow.status === 'closed' || slow.status === 'reset', `slowloris: answered 408 or closed, not ${JSON.stringify(slow)}`);
    assert.ok(slow.ms >= BODY_TIMEOUT_MS / 2 && slow.ms <= BODY_TIMEOUT_MS + 3000,
      `slowloris: ended by the body timeout (${BODY_TIMEOUT_MS} ms), after ${slow.ms.toFixed(0)} ms`);
    assert.deepEqual(fresh, [], 'the receiver still takes a delivery');
  });
}
