// The inbox dashboard (coassemble-events/inbox/dashboard) in Chromium, Firefox and WebKit, on a day of
// realistic deliveries (tests/support/inbox-seed.mjs): the token prompt, counts, the chart, filters,
// a delivery's stored body, re-drive of one and of every dead delivery (checked in the database),
// the reconcile button calling the app's function, and its "not configured" state without one.
// The API's guards (401 without the token, cross-site writes refused) are checked over HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, launch } from '../support/engines.mjs';
import { startDashboard } from '../support/dashboard-server.mjs';

const select = (page, selector, value) => page.evaluate(([selector, value]) => {
  const element = document.querySelector(selector);
  element.value = value;
  element.dispatchEvent(new Event('change', { bubbles: true }));
}, [selector, value]);
const rows = (page) => page.evaluate(() => [...document.querySelectorAll('#deliveries tbody tr')]
  .map((r) => ({ id: r.dataset.id, status: r.dataset.status, type: r.children[1].textContent })));

for (const { name: engine, skip } of engines()) describe(engine, { skip }, () => {
  let browser, page, app;

  before(async () => {
    app = await startDashboard();
    browser = await launch(engine);
    page = await browser.newPage();
  });
  after(async () => {
    await page?.close().catch(() => {});
    await browser?.close();
    await app?.close();
  });

  test('asks for the token once, refuses a wrong one, then shows the counts, the oldest due and the chart', async () => {
    await page.goto(`${app.url}/admin/webhooks`); // redirected to the trailing slash
    await page.waitForFunction(() => !document.querySelector('#login').hidden);
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('#token-submit');
    await page.waitForFunction(() => !document.querySelector('#login').hidden && !document.querySelector('#token-error').hidden);
    await page.fill('#token', app.token);
    await page.click('#token-submit');
    const counts = await app.inbox.counts();
    await page.waitForFunction((dead) => document.querySelector('#login').hidden
      && document.querySelector('#counts [data-status="dead"] .value').textContent === String(dead), counts.dead);
    const shown = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#counts [data-status]')]
      .map((card) => [card.dataset.status, Number(card.querySelector('.value').textContent.replace(/,/g, ''))])));
    assert.deepEqual(shown, counts);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('coassemble-inbox-token')), app.token);
    // Three deliveries have waited since the seed: the oldest due is tens of seconds old.
    assert.match(await page.evaluate(() => document.querySelector('#oldest .value').textContent), /^\d+ s$|^\d+ min$/);
    const bars = await page.waitForFunction(() => {
      const n = document.querySelectorAll('#chart rect.bar').length;
      return n > 20 && n;
    });
    assert.ok(bars > 20, `chart bars: ${bars}`);
  });

  test('filters by status and by type', async () => {
    const dead = app.ids.dead.length;
    await select(page, '#filter-status', 'dead');
    await page.waitForFunction((n) => {
      const trs = [...document.querySelectorAll('#deliveries tbody tr')];
      return trs.length === n && trs.every((tr) => tr.dataset.status === 'dead');
    }, dead);
    assert.deepEqual((await rows(page)).map((r) => r.id).sort(), [...app.ids.dead].sort());
    await select(page, '#filter-status', '');
    await select(page, '#filter-type', 'course.commenced');
    const expected = (await app.inbox.list({ type: 'course.commenced', limit: 100 })).map((d) => d.id);
    await page.waitForFunction((first) => {
      const trs = [...document.querySelectorAll('#deliveries tbody tr')];
      return trs.length > 0 && trs[0].dataset.id === first && trs.every((tr) => tr.children[1].textContent === 'course.commenced');
    }, expected[0]);
    assert.deepEqual((await rows(page)).map((r) => r.id), expected);
    await select(page, '#filter-type', '');
    await select(page, '#filter-status', 'dead');
    await page.waitForFunction((n) => document.querySelectorAll('#deliveries tbody tr[data-status="dead"]').length === n, dead);
  });

  test('shows a delivery\'s stored body, pretty-printed, and re-drives it', async () => {
    const id = app.ids.dead[0];
    // A person clicks a cell (WebKitWebDriver finds a <tr> itself "not interactable").
    await page.click(`#deliveries tbody tr[data-id="${id}"] td:nth-child(2)`);
    const body = await page.waitForFunction((id) => document.querySelector('#detail-id').textContent === id
      && !document.querySelector('#detail-body').hidden && document.querySelector('#detail-body').textContent, id);
    const stored = await app.inbox.get(id);
    assert.equal(body, JSON.stringify(JSON.parse(Buffer.from(stored.body).toString('utf8')), null, 2));
    assert.match(body, /"email": "omar\.aziz@acme-corp\.example"/);
    assert.match(await page.evaluate(() => document.querySelector('#detail-fields').textContent), /CRM answered 422/);
    await page.waitForFunction(() => !document.querySelector('#redrive-one').hidden);
    await page.click('#redrive-one');
    await page.waitForFunction(() => /Re-drove 1 delivery/.test(document.querySelector('#error').textContent));
    const after = await app.inbox.get(id);
    assert.equal(after.status, 'received');
    assert.equal(after.attempts, 0);
  });

  test('re-drives every dead delivery', async () => {
    const left = (await app.inbox.counts()).dead;
    assert.equal(left, app.ids.dead.length - 1);
    await page.click('#redrive-all');
    await page.waitForFunction((n) => document.querySelector('#error').textContent.includes(`Re-drove ${n} deliveries`), left);
    assert.equal((await app.inbox.counts()).dead, 0);
    await page.waitForFunction(() => document.querySelector('#counts [data-status="dead"] .value').textContent === '0'
      && document.querySelectorAll('#deliveries tbody tr').length === 0);
  });

  test('reconcile calls the app\'s function with the course id and shows its answer', async () => {
    await page.waitForFunction(() => document.querySelector('#reconcile-state').dataset.state === 'ready');
    await page.fill('#reconcile-course', '981');
    await page.click('#reconcile');
    const text = await page.waitForFunction(() => document.querySelector('#reconcile-state').dataset.state === 'done'
      && document.querySelector('#reconcile-state').textContent);
    assert.equal(text, 'Done: recovered 2, checked 41');
    assert.deepEqual(app.reconcileCalls, [{ courseId: 981 }]);
  });

  test('without a reconcile function the button says "not configured"', async () => {
    await page.goto(`${app.url}/plain/`); // same origin: the token is still in sessionStorage
    const state = await page.waitForFunction(() => document.querySelector('#reconcile-state').dataset.state === 'not-configured'
      && document.querySelector('#reconcile').disabled && document.querySelector('#reconcile-state').textContent);
    assert.match(state, /^Not configured/);
    assert.ok(await page.evaluate(() => document.querySelector('#login').hidden));
  });
});

describe('the dashboard API over HTTP', () => {
  let app;
  before(async () => { app = await startDashboard(); });
  after(() => app?.close());
  const api = (path, init = {}) => fetch(`${app.url}/admin/webhooks/api/${path}`, init);
  const auth = () => ({ authorization: `Bearer ${app.token}` });

  test('401 without the token or with a wrong one; the page itself needs none', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope-nope-nope-nope-nope' }, { authorization: app.token }, { cookie: `token=${app.token}` }]) {
      const res = await api('summary', { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal((await res.json()).code, 'unauthorized');
    }
    assert.equal((await api('deliveries', { headers: {} })).status, 401);
    assert.equal((await api('redrive', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"all":true}' })).status, 401);
    assert.equal((await api('summary', { headers: auth() })).status, 200);
    const page = await fetch(`${app.url}/admin/webhooks/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  });

  test('writes: POST with a JSON content type from the same origin only', async () => {
    const post = (headers, body = '{"all":true}') => api('redrive', { method: 'POST', headers: { ...auth(), ...headers }, body });
    assert.equal((await post({ 'content-type': 'text/plain' })).status, 403);
    assert.equal((await post({ 'content-type': 'application/x-www-form-urlencoded' }, 'all=true')).status, 403);
    assert.equal((await post({ 'content-type': 'application/json', origin: 'https://evil.example' })).status, 403);
    assert.equal((await post({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal((await api('redrive', { headers: auth() })).status, 404); // GET is a read: no such read
    const ok = await post({ 'content-type': 'application/json', origin: app.url, 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).redriven, app.ids.dead.length);
  });

  test('a delivery\'s detail, and 404 for an unknown one', async () => {
    const id = app.ids.failed[0];
    const { delivery } = await (await api(`deliveries/${id}`, { headers: auth() })).json();
    assert.equal(delivery.id, id);
    assert.equal(delivery.status, 'failed');
    assert.ok(delivery.bodyIsJson);
    assert.equal((await api('deliveries/nope', { headers: auth() })).status, 404);
  });
});
