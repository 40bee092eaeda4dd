// Server-side rendering: the package imports under Node with no DOM, and attaching says why it can't.
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('imports without a DOM and attach rejects with a typed no_dom error', async () => {
  assert.equal(typeof globalThis.window, 'undefined');
  const sdk = await import('coassemble-events');
  for (const name of ['attachCourse', 'attachBuilder', 'embedCourse', 'embedBuilder']) {
    assert.equal(typeof sdk[name], 'function', name);
  }
  assert.equal(sdk.autosave, undefined, 'autosave has its own entry point');
  assert.equal(typeof (await import('coassemble-events/autosave')).autosave, 'function');
  const error = await sdk.attachCourse({ tagName: 'IFRAME' }).then(() => null, (e) => e);
  assert.ok(error instanceof sdk.CoassembleError);
  assert.equal(error.code, 'no_dom');
  assert.match(error.message, /browser/);
});

test('coassemble-events/elements imports without a DOM and registers nothing', async () => {
  assert.equal(typeof globalThis.customElements, 'undefined');
  assert.deepEqual(Object.keys(await import('coassemble-events/elements')), [], 'a registering import, no exports');
  assert.equal(typeof globalThis.customElements, 'undefined', 'nothing defined on the server');
});
