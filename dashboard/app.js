// The inbox dashboard's page (coassemble-events/inbox/dashboard serves it). No framework, no chart
// library: the API is relative to the page (api/...), so the page works under any mount path. The
// bearer token is asked once and kept in sessionStorage (this tab only), sent as Authorization:
// Bearer, never as a cookie. Everything the server sends is inserted as text, never as HTML.
const TOKEN_KEY = 'coassemble-inbox-token';
const REFRESH_MS = 5000;
const $ = (selector) => document.querySelector(selector);
const state = { selected: null, types: new Set(), timer: null, busy: false };

const token = () => sessionStorage.getItem(TOKEN_KEY);

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (token()) headers.authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`api/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  const json = await res.json().catch(() => null);
  if (res.status === 401) {
    askToken(Boolean(token()));
    throw new ApiError(401, json);
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

// ---- formatting ----
const number = new Intl.NumberFormat('en');
function duration(ms) {
  if (ms < 1000) return ms <= 0 ? '0 s' : '< 1 s';
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.round(m / 6) / 10;
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} d`;
}
function when(ms) {
  if (ms == null) return '—';
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return today ? time : `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${time}`;
}
function relative(ms, now) {
  if (ms == null) return '—';
  const delta = ms - now;
  return delta > 0 ? `in ${duration(delta)}` : 'due now';
}
const firstLine = (text) => (text == null ? '' : String(text).split('\n')[0].replace(/^Error: /, ''));

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children);
  return node;
}

// ---- summary, chart ----
async function loadSummary() {
  const summary = await api('summary');
  for (const [status, count] of Object.entries(summary.counts)) {
    const card = document.querySelector(`#counts [data-status="${status}"] .value`);
    if (card) card.textContent = number.format(count);
  }
  const oldest = $('#oldest');
  oldest.querySelector('.value').textContent = summary.oldestDueMs > 0 ? duration(summary.oldestDueMs) : 'none';
  oldest.dataset.level = summary.oldestDueMs > 15 * 60_000 ? 'bad' : summary.oldestDueMs > 60_000 ? 'warn' : 'ok';
  $('#meta').textContent = `${summary.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'} · updated ${when(summary.now)}`;
  const reconcileState = $('#reconcile-state');
  if (!summary.reconcile) {
    reconcileState.dataset.state = 'not-configured';
    reconcileState.textContent = 'Not configured: start the inbox with a reconcile schedule, or set COASSEMBLE_API_KEY for `inbox serve`. Deliveries lost while the receiver was down for more than about 36 minutes can only be found through the API.';
    $('#reconcile').disabled = true;
    $('#reconcile-course').disabled = true;
  } else if (reconcileState.dataset.state === 'unknown' || reconcileState.dataset.state === 'not-configured') {
    reconcileState.dataset.state = 'ready';
    reconcileState.textContent = 'Ready.';
    $('#reconcile').disabled = false;
    $('#reconcile-course').disabled = false;
  }
  // The fleet's last scheduled run (its lock row), whoever ran it.
  const last = summary.lastReconcile;
  if (last?.lastRunAt && reconcileState.dataset.state === 'ready') {
    const r = last.lastReport;
    reconcileState.textContent = `Ready. Last scheduled run ${when(last.lastRunAt)}: ${last.lastOutcome}`
      + (r ? `, ${r.recovered} recovered, ${r.known} known, ${r.skipped} skipped of ${r.listed} trackings.` : '.');
  }
  return summary;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

async function loadChart() {
  const { buckets } = await api('activity?hours=24');
  const W = 960, H = 200, left = 40, right = 8, top = 12, bottom = 26;
  const max = Math.max(4, ...buckets.map((b) => Math.max(b.received, b.processed)));
  const step = niceStep(max / 4);
  const ceiling = Math.ceil(max / step) * step;
  const y = (v) => top + (H - top - bottom) * (1 - v / ceiling);
  const slot = (W - left - right) / buckets.length;
  const bar = Math.max(2, Math.min(14, slot / 2 - 3));
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
  for (let v = 0; v <= ceiling; v += step) {
    chart.append(svg('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }));
    const label = svg('text', { x: left - 8, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' });
    label.textContent = number.format(v);
    chart.append(label);
  }
  buckets.forEach((b, i) => {
    const x = left + i * slot + slot / 2;
    const hour = new Date(b.bucket).getHours();
    for (const [kind, value, dx] of [['received', b.received, -bar - 1], ['processed', b.processed, 1]]) {
      if (value === 0) continue;
      const rect = svg('rect', { x: x + dx, y: y(value), width: bar, height: y(0) - y(value), rx: 2, class: `bar ${kind}` });
      const title = svg('title');
      title.textContent = `${String(hour).padStart(2, '0')}:00 · ${value} ${kind}`;
      rect.append(title);
      chart.append(rect);
    }
    if (i % 3 === 0 || i === buckets.length - 1) {
      const label = svg('text', { x, y: H - 8, class: 'axis', 'text-anchor': 'middle' });
      label.textContent = i === buckets.length - 1 ? 'now' : `${String(hour).padStart(2, '0')}:00`;
      chart.append(label);
    }
  });
  $('#chart').replaceChildren(chart);
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

// ---- deliveries ----
async function loadDeliveries() {
  const params = new URLSearchParams({ limit: '100' });
  const status = $('#filter-status').value;
  const type = $('#filter-type').value;
  if (status) params.set('status', status);
  if (type) params.set('type', type);
  const { deliveries } = await api(`deliveries?${params}`);
  const now = Date.now();
  const rows = deliveries.map((d) => {
    const waiting = d.status === 'received' || d.status === 'failed' || d.status === 'processing';
    const row = el('tr', { 'data-id': d.id, 'data-status': d.status, tabIndex: 0 },
      el('td', { class: 'mono id', text: d.id, title: d.id }),
      el('td', { text: d.type }),
      el('td', {}, el('span', { class: `badge ${d.status}`, text: d.status }), d.test ? el('span', { class: 'badge test', text: 'test' }) : ''),
      el('td', { class: 'num', text: `${d.attempts} / ${d.maxAttempts}` }),
      el('td', { text: when(d.receivedAt) }),
      el('td', { text: waiting ? relative(d.runAt, now) : '—' }),
      el('td', { class: 'error', text: firstLine(d.lastError), title: d.lastError ?? '' }));
    if (d.id === state.selected) row.classList.add('selected');
    row.addEventListener('click', () => select(d.id));
    row.addEventListener('keydown', (e) => { if (e.key === 'Enter') select(d.id); });
    if (!state.types.has(d.type)) addType(d.type);
    return row;
  });
  $('#deliveries tbody').replaceChildren(...rows);
  $('#empty').hidden = rows.length > 0;
  $('#shown').textContent = `${rows.length === 100 ? 'Newest 100' : number.format(rows.length)} ${rows.length === 1 ? 'delivery' : 'deliveries'}${status || type ? ' matching the filters' : ''}`;
}

function addType(type) {
  state.types.add(type);
  const select = $('#filter-type');
  if (![...select.options].some((o) => o.value === type)) select.append(el('option', { value: type, text: type }));
}

async function select(id) {
  state.selected = id;
  for (const row of document.querySelectorAll('#deliveries tbody tr')) row.classList.toggle('selected', row.dataset.id === id);
  await showDetail();
}

async function showDetail() {
  const id = state.selected;
  if (!id) return;
  const { delivery: d } = await api(`deliveries/${encodeURIComponent(id)}`);
  if (state.selected !== id) return;
  $('#detail').dataset.status = d.status;
  $('#detail-id').textContent = d.id;
  $('#detail-id').classList.add('id');
  const fields = [
    ['Type', d.type], ['Status', d.status], ['Attempts', `${d.attempts} of ${d.maxAttempts}`],
    ['Received', when(d.receivedAt)], ['Signed', when(d.signedAt * 1000)],
    ['Next run', ['received', 'failed', 'processing'].includes(d.status) ? `${when(d.runAt)} (${relative(d.runAt, Date.now())})` : '—'],
    ['Processed', when(d.processedAt)], ['Event id', d.eventId ?? '—'], ['Worker', d.leaseOwner ?? '—'],
    ['Body', `${number.format(d.bodyBytes)} bytes${d.bodyIsJson ? '' : ', not JSON'}`],
  ];
  if (d.lastError) fields.push(['Last error', d.lastError]);
  $('#detail-fields').replaceChildren(...fields.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v, class: k === 'Last error' ? 'error' : '' })]));
  const body = $('#detail-body');
  body.textContent = d.body;
  body.hidden = false;
  $('#redrive-one').hidden = d.status !== 'dead';
}

// ---- actions ----
function flash(message, level = 'ok') {
  const banner = $('#error');
  banner.textContent = message;
  banner.dataset.level = level;
  banner.hidden = false;
  clearTimeout(flash.timer);
  if (level === 'ok') flash.timer = setTimeout(() => { banner.hidden = true; }, 4000);
}

async function redrive(target) {
  const { redriven } = await api('redrive', { method: 'POST', body: target });
  flash(redriven === 0 ? 'Nothing to re-drive.' : `Re-drove ${redriven} ${redriven === 1 ? 'delivery' : 'deliveries'}: due now, with a full set of attempts.`);
  await refresh();
}

async function reconcile(event) {
  event.preventDefault();
  const out = $('#reconcile-state');
  const course = $('#reconcile-course').value.trim();
  out.dataset.state = 'running';
  out.textContent = course ? `Reconciling course ${course}…` : 'Reconciling every course…';
  try {
    const { result } = await api('reconcile', { method: 'POST', body: course ? { courseId: /^\d+$/.test(course) ? Number(course) : course } : {} });
    out.dataset.state = 'done';
    out.textContent = `Done: ${summarize(result)}`;
    await refresh();
  } catch (error) {
    out.dataset.state = error.code === 'not_configured' ? 'not-configured' : 'failed';
    out.textContent = error.code === 'not_configured' ? 'Not configured: no API key for reconciliation (COASSEMBLE_API_KEY).' : `Failed: ${error.message}`;
  }
}

function summarize(result) {
  if (result == null) return 'nothing to report.';
  if (typeof result !== 'object') return String(result);
  return Object.entries(result).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  const live = $('#live');
  try {
    await Promise.all([loadSummary(), loadChart(), loadDeliveries()]);
    if (state.selected) await showDetail().catch(() => {});
    live.dataset.state = 'ok';
    if ($('#error').dataset.level === 'bad') $('#error').hidden = true;
  } catch (error) {
    // 401: not an outage, the token prompt is up.
    live.dataset.state = error.status === 401 ? 'idle' : 'bad';
    if (error.status !== 401) flash(error.message, 'bad');
  } finally {
    state.busy = false;
  }
}

function askToken(refused) {
  clearInterval(state.timer);
  state.timer = null;
  $('#token-error').hidden = !refused;
  $('#login').hidden = false;
  $('#token').focus();
}

function start() {
  $('#login').hidden = true;
  $('#sign-out').hidden = !token();
  refresh();
  clearInterval(state.timer);
  state.timer = setInterval(refresh, REFRESH_MS);
}

$('#token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('#token').value.trim());
  $('#token').value = '';
  start();
});
$('#sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  askToken(false);
});
$('#refresh').addEventListener('click', refresh);
$('#filter-status').addEventListener('change', () => loadDeliveries().catch((e) => flash(e.message, 'bad')));
$('#filter-type').addEventListener('change', () => loadDeliveries().catch((e) => flash(e.message, 'bad')));
$('#redrive-all').addEventListener('click', () => redrive({ all: true }).catch((e) => flash(e.message, 'bad')));
$('#redrive-one').addEventListener('click', () => state.selected && redrive({ id: state.selected }).catch((e) => flash(e.message, 'bad')));
$('#reconcile-form').addEventListener('submit', reconcile);
start();
