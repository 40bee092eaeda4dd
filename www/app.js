// The demo host page: everything it shows comes from the SDK's typed events and from autosave.
const $ = (s) => document.querySelector(s);

// A dynamic import, so that a missing build says so on the page instead of leaving it half-alive.
const [{ embedCourse, embedBuilder }, { autosave }] = await Promise.all([
  import('coassemble-events'), import('coassemble-events/autosave'),
]).catch((err) => {
  const banner = document.createElement('div');
  banner.className = 'fatal';
  banner.textContent = `The SDK did not load (${err.message}). Build it with \`npm run build\` (or start the demo with \`npm start\`), then reload.`;
  document.body.prepend(banner);
  for (const pill of document.querySelectorAll('.pill')) { pill.dataset.state = 'error'; pill.querySelector('b').textContent = 'no SDK'; }
  throw err;
});
const config = await fetch('/api/config').then((r) => r.json());
const emulatorUrl = (page) =>
  `${config.emulatorOrigin}/${page}.html?parent=${encodeURIComponent(location.origin)}`;
$('#emu-origin').textContent = config.emulatorOrigin;

const IFRAME = { title: 'Coassemble', allow: 'fullscreen; autoplay; presentation; clipboard-write' };
let course = null;
let builder = null;
let saver = null;

// ---------------------------------------------------------------------------------------------------
// Player: progress bar, screen, quiz log.

async function mountCourse(url, label) {
  course?.destroy(); // the SDK stops listening; the iframe is ours to remove
  // Its ready() now rejects (destroyed): no longer the current embed, it must not mark the pill.
  course = null;
  $('#player-frame').replaceChildren();
  resetPlayerView();
  $('#player-source').textContent = label;
  setPill('#player-pill', 'connecting');
  course = await embedCourse($('#player-frame'), url, { iframe: { ...IFRAME, title: 'Course player' } });
  course.on('course:progress', (e) => showProgress(e.progress));
  course.on('course:start', () => setBadge('#badge-started', 'In progress', 'live'));
  course.on('course:completed', () => {
    showProgress(course.state.progress);
    setBadge('#badge-started', 'Started', '');
    $('#badge-completed').hidden = false;
  });
  course.on('screen:start', (e) => {
    if (e.screen !== undefined) $('#screen').textContent = String(e.screen);
  });
  course.on('screen:answer', (e) => quizLog(e.correct === false ? 'wrong' : 'answer',
    e.correct === false ? 'Wrong answer' : e.correct ? 'Correct answer' : 'Answered', e));
  course.on('screen:failed', (e) => quizLog('failed', 'Quiz failed', e));
  course.on('screen:retry', (e) => quizLog('retry', 'Quiz retried', e));
  course.on('*', (e) => {
    feed('player', e);
    // Lower, equal or garbage progress values the SDK dropped instead of moving the bar back.
    $('#ignored').textContent = String(course.state.droppedProgress ?? 0);
    showState(course.state);
  });
  course.on('error', (err) => feedError('player', err));
  showState(course.state);
  readyPill(course, '#player-pill', () => course);
}

function showState(state) {
  $('#state').replaceChildren(...Object.entries(state).flatMap(([key, value]) => {
    const dt = document.createElement('dt');
    dt.textContent = key;
    const dd = document.createElement('dd');
    dd.textContent = value === null || value === undefined ? '–' : typeof value === 'object' ? short(JSON.stringify(value)) : String(value);
    dd.dataset.kind = typeof value;
    return [dt, dd];
  }));
}

function resetPlayerView() {
  showProgress(0, true);
  $('#screen').textContent = '–';
  $('#ignored').textContent = '0';
  setBadge('#badge-started', 'Not started', '');
  $('#badge-completed').hidden = true;
  $('#quiz-log').replaceChildren(empty('Answers, failures and retries appear here.'));
  $('#quiz-count').textContent = '';
}

// The bar shows what the SDK reports: course:progress fires only when progress strictly increases.
function showProgress(value, reset = false) {
  const bar = $('#progress');
  if (!reset && value === Number(bar.getAttribute('aria-valuenow'))) return;
  bar.setAttribute('aria-valuenow', String(value));
  $('#progress-fill').style.width = `${value}%`;
  $('#progress-text').textContent = String(value);
  bar.classList.toggle('done', value >= 100);
}

function quizLog(kind, title, e) {
  const list = $('#quiz-log');
  list.querySelector('.empty')?.remove();
  const li = document.createElement('li');
  li.dataset.kind = kind;
  const details = [e.screen !== undefined ? `screen ${e.screen}` : null,
    e.score !== undefined ? `score ${e.score}` : null,
    typeof e.data?.answer === 'string' ? `“${e.data.answer}”` : null].filter(Boolean).join(' · ');
  li.innerHTML = `<span class="dot"></span><span class="what"></span><span class="detail"></span><time></time>`;
  li.querySelector('.what').textContent = title;
  li.querySelector('.detail').textContent = details;
  li.querySelector('time').textContent = clock();
  list.prepend(li);
  $('#quiz-count').textContent = `${list.children.length} events`;
}

// ---------------------------------------------------------------------------------------------------
// Builder and autosave.

async function mountBuilder(url, label) {
  if (saver) await saver.stop();
  builder?.destroy();
  builder = null; // as for the player: a destroyed embed's rejection must not mark the pill
  $('#builder-frame').replaceChildren();
  $('#builder-course').textContent = 'No course yet';
  $('#builder-source').textContent = label;
  setPill('#builder-pill', 'connecting');
  builder = await embedBuilder($('#builder-frame'), url, { iframe: { ...IFRAME, title: 'Course builder' } });
  builder.on('*', (e) => feed('builder', e));
  builder.on('error', (err) => feedError('builder', err));
  for (const name of ['course:created', 'course:updated']) {
    builder.on(name, (e) => {
      const title = e.title ?? builder.state.title;
      $('#builder-course').textContent = `Editing #${e.courseId}${title ? ` · ${title}` : ''}`;
    });
  }
  builder.on('session:expired', () => setPill('#builder-pill', 'expired'));
  builder.on('back', () => note('Back pressed in the builder: pending drafts were flushed.'));
  readyPill(builder, '#builder-pill', () => builder);

  saver = autosave(builder, {
    save: async (draft) => {
      const res = await fetch('/api/drafts', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(draft),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    },
    // ?debounceMs= lets the end-to-end test hold a draft pending until the page closes.
    debounceMs: Number(new URLSearchParams(location.search).get('debounceMs') ?? 800),
    retry: { attempts: 5, baseMs: 600, maxMs: 5000 },
    beacon: '/api/drafts?via=beacon', // the page is going away: navigator.sendBeacon outlives it
  });
  saver.on('pending', ({ draft }) => autosaveView(`Unsaved changes to ${quote(draft)} · revision ${draft.revision}`));
  saver.on('saving', ({ draft, attempt }) =>
    autosaveView(`Saving ${quote(draft)}${attempt > 1 ? ` · attempt ${attempt} of 5` : ''}…`));
  saver.on('saved', ({ draft }) => autosaveView(`Saved ${quote(draft)} · revision ${draft.revision} · ${clock()}`));
  saver.on('queued', ({ draft }) =>
    autosaveView(`Handed ${quote(draft)} to the browser's beacon; saved again if this page comes back`));
  saver.on('error', ({ error, retryInMs, attempt }) => autosaveView(retryInMs === null
    ? `Save failed ${attempt} times (${error.message}). The draft is kept and saved with the next change, or press Save now.`
    : `Save failed (${error.message}). Retrying in ${(retryInMs / 1000).toFixed(1)} s…`));
  autosaveView('Edit the course title in the builder: every keystroke is a course:updated; autosave turns each burst into one save.');
}

function autosaveView(line) {
  const status = saver.status;
  const pill = $('#autosave-status');
  pill.dataset.status = status;
  pill.textContent = status;
  $('#autosave-line').textContent = line;
  refreshDrafts();
}

const quote = (draft) => (draft.title ? `“${draft.title}”` : `course #${draft.courseId}`);

$('#fail-toggle').addEventListener('change', async (e) => {
  await fetch('/api/drafts/fail', { method: 'POST', body: JSON.stringify({ count: e.target.checked ? 3 : 0 }) });
  refreshDrafts();
});

$('#save-now').addEventListener('click', () => saver?.flush());

// One request at a time; a refresh asked for meanwhile runs right after, so the last state is shown.
let draftsBusy = false;
let draftsAgain = false;
async function refreshDrafts() {
  if (draftsBusy) { draftsAgain = true; return; }
  draftsBusy = true;
  draftsAgain = false;
  try {
    const { drafts, saves, failNext } = await fetch('/api/drafts').then((r) => r.json());
    $('#fail-toggle').checked = failNext > 0;
    $('#fail-left').textContent = failNext > 0 ? `(${failNext} left)` : '';
    const list = $('#drafts');
    list.replaceChildren(...(drafts.length ? drafts.map((d) => {
      const li = document.createElement('li');
      li.dataset.courseId = String(d.courseId);
      li.innerHTML = '<span class="t"></span><span class="m"></span>';
      li.querySelector('.t').textContent = d.title ?? `Course #${d.courseId}`;
      li.querySelector('.m').textContent = `#${d.courseId} · rev ${d.revision}${d.via === 'beacon' ? ' · beacon' : ''}`;
      return li;
    }) : [empty('Nothing saved yet.')]));
    const reqs = $('#requests');
    reqs.replaceChildren(...(saves.length ? saves.slice(-6).reverse().map((s) => {
      const li = document.createElement('li');
      li.dataset.status = String(s.status);
      li.innerHTML = '<span class="code"></span><span class="t"></span><span class="m"></span>';
      li.querySelector('.code').textContent = String(s.status);
      li.querySelector('.t').textContent = s.draft?.title ?? '(invalid body)';
      li.querySelector('.m').textContent = `${s.via} · rev ${s.draft?.revision ?? '–'} · ${s.at.slice(11, 19)}`;
      return li;
    }) : [empty('No requests yet.')]));
  } catch {
    // The server went away (demo stopped): keep what is shown.
  } finally {
    draftsBusy = false;
    if (draftsAgain) refreshDrafts();
  }
}

// ---------------------------------------------------------------------------------------------------
// Event feed and webhooks.

const FAMILY = { session: 'session', course: 'course', screen: 'screen', back: 'nav', unknown: 'unknown' };

function feed(source, e) {
  const list = $('#feed');
  list.querySelector('.empty')?.remove();
  const li = document.createElement('li');
  li.dataset.source = source;
  li.dataset.name = e.name;
  li.dataset.family = FAMILY[e.type] ?? 'unknown';
  if (e.type === 'screen' || e.name === 'course:progress') li.classList.add('chatty');
  li.innerHTML = '<span class="src"></span><code class="name"></code><span class="detail"></span><time></time>';
  li.querySelector('.src').textContent = source;
  li.querySelector('.name').textContent = e.name;
  li.querySelector('.detail').textContent = describe(e);
  li.querySelector('time').textContent = clock();
  list.prepend(li);
  while (list.children.length > 60) list.lastElementChild.remove();
}

function feedError(source, err) {
  feed(source, { name: 'error', type: 'error', message: `${err.code ?? 'error'}: ${err.message ?? err}` });
}

function describe(e) {
  switch (e.name) {
    case 'course:progress': return `${e.progress}%`;
    case 'course:created':
    case 'course:updated': return `#${e.courseId}${e.title !== undefined ? ` · “${e.title}”` : ''}`;
    case 'session:error': return [e.code, e.message].filter(Boolean).join(' · ');
    case 'error': return e.message;
    case 'unknown': return short(JSON.stringify(e.raw ?? e.data ?? ''));
    default: {
      const parts = [];
      if (e.screen !== undefined) parts.push(`screen ${e.screen}`);
      if (e.correct !== undefined) parts.push(e.correct ? 'correct' : 'wrong');
      if (e.score !== undefined) parts.push(`score ${e.score}`);
      return parts.join(' · ');
    }
  }
}

$('#webhook-test').addEventListener('click', async () => {
  await fetch('/api/webhooks/test', { method: 'POST' });
  refreshWebhooks();
});
$('#webhook-fail').addEventListener('click', async () => {
  await postJson('/api/webhooks/fail', { count: 2 });
  refreshWebhooks();
});
$('#webhook-redrive-all').addEventListener('click', async () => {
  await postJson('/api/webhooks/redrive', { all: true });
  refreshWebhooks();
});
$('#deliveries').addEventListener('click', async (e) => {
  const button = e.target.closest('button[data-redrive]');
  if (!button) return;
  button.disabled = true;
  await postJson('/api/webhooks/redrive', { id: button.dataset.redrive });
  refreshWebhooks();
});

$('#feed-progress').addEventListener('change', (e) => $('#feed').classList.toggle('quiet', !e.target.checked));

const postJson = (url, json) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });

const STATUS_LABEL = { received: 'received', processing: 'processing', failed: 'retrying', processed: 'processed', dead: 'dead' };
const SHOWN = 8;

/** What to say under a delivery: why it is where it is. */
function deliveryNote(d) {
  const when = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  switch (d.status) {
    case 'processed': return `processed ${when(d.processedAt)}`;
    case 'failed': {
      const wait = Math.max(0, Math.ceil((Date.parse(d.nextRunAt) - Date.now()) / 1000));
      return `retry ${wait > 0 ? `in ${wait} s` : 'now'} · ${d.lastError ?? ''}`;
    }
    case 'dead': return d.lastError ?? 'dead';
    case 'processing': return 'a worker holds the lease';
    default: return `stored ${when(d.receivedAt)}, waiting for a worker`;
  }
}

let webhooksBusy = false;
async function refreshWebhooks() {
  if (webhooksBusy) return;
  webhooksBusy = true;
  try {
    const answer = await fetch('/api/webhooks').then((r) => r.json());
    const list = $('#deliveries');
    const installed = answer.installed === true;
    for (const id of ['#webhook-test', '#webhook-fail']) $(id).disabled = !installed;
    if (!installed) {
      list.replaceChildren(empty('The webhook receiver needs the built package and better-sqlite3 (npm ci, npm run build).'));
      return;
    }
    const { deliveries, counts, failNext } = answer;
    for (const li of $('#webhook-stages').children) li.querySelector('b').textContent = counts[li.dataset.status] ?? 0;
    $('#webhook-redrive-all').disabled = !counts.dead;
    $('#webhook-failing').textContent = failNext ? `next ${failNext} run${failNext > 1 ? 's' : ''} will throw` : '';
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    $('#webhook-count').textContent = total > SHOWN ? `latest ${SHOWN} of ${total}` : '';
    if (!deliveries.length) {
      list.replaceChildren(empty('None yet: press Send test delivery, or point a Coassemble webhook here.'));
      return;
    }
    list.replaceChildren(...deliveries.slice(0, SHOWN).map((d) => {
      const li = document.createElement('li');
      li.dataset.status = d.status;
      li.innerHTML = '<span class="state"></span><div class="what"><code class="name"></code><span class="m id"></span>'
        + '<span class="note"></span></div><span class="runs"></span>';
      li.querySelector('.state').textContent = STATUS_LABEL[d.status] ?? d.status;
      li.querySelector('.name').textContent = d.type;
      li.querySelector('.id').textContent = `${d.id.slice(0, 8)}${d.test ? ' · test' : ''}`;
      li.querySelector('.note').textContent = deliveryNote(d);
      li.querySelector('.note').title = d.lastError ?? '';
      const runs = li.querySelector('.runs');
      runs.textContent = `run ${d.attempts}/${d.maxAttempts}`;
      if (d.status === 'dead') {
        const button = document.createElement('button');
        button.className = 'button small';
        button.type = 'button';
        button.dataset.redrive = d.id;
        button.textContent = 'Re-drive';
        runs.replaceChildren(button);
      }
      return li;
    }));
  } catch {
    // Not reachable right now: try again on the next tick.
  } finally {
    webhooksBusy = false;
  }
}

// ---------------------------------------------------------------------------------------------------
// A real signed embed URL instead of the emulators.

$('#real-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const raw = $('#real-url').value.trim();
  let url;
  try {
    url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    return note('That is not an http(s) URL. Paste the signed URL your server minted.', true);
  }
  const label = `Signed embed · trusted origin ${url.origin}`;
  try {
    if ($('#real-kind').value === 'builder') await mountBuilder(url.href, label);
    else await mountCourse(url.href, label);
    note(`Embedded. Only messages from ${url.origin} and that iframe's window are accepted.`);
  } catch (err) {
    note(`${err.code ?? 'error'}: ${err.message}`, true);
  }
});

// With COASSEMBLE_API_KEY set, the demo server mints the URL itself (coassemble-events/api).
if (config.mint) {
  $('#mint-form').hidden = false;
  $('#mint-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const action = $('#mint-action').value;
    const answer = await fetch('/api/embed-url', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action, courseId: Number($('#mint-course').value) || $('#mint-course').value }),
    }).then((r) => r.json());
    if (!answer.url) return note(`${answer.code}: ${answer.error}`, true);
    $('#real-url').value = answer.url;
    $('#real-kind').value = action === 'edit' ? 'builder' : 'course';
    $('#real-form').requestSubmit();
  });
}

$('#real-reset').addEventListener('click', () => {
  mountEmulators();
  note('Back to the emulators.');
});

function note(text, bad = false) {
  const el = $('#real-note');
  el.textContent = text;
  el.classList.toggle('bad', bad);
}

// ---------------------------------------------------------------------------------------------------

// Only the current embed may move its pill: a replaced one rejects ready() with a DestroyedError.
function readyPill(embed, sel, current) {
  embed.ready().then(
    () => { if (current() === embed) setPill(sel, 'ready'); },
    (err) => { if (current() === embed) setPill(sel, 'error', err.code ?? 'timeout'); },
  );
}

function setPill(sel, state, detail) {
  const pill = $(sel);
  pill.dataset.state = state;
  pill.querySelector('b').textContent = detail ?? state;
}

function setBadge(sel, text, tone) {
  const el = $(sel);
  el.textContent = text;
  el.dataset.tone = tone;
}

function empty(text) {
  const li = document.createElement('li');
  li.className = 'empty';
  li.textContent = text;
  return li;
}

const clock = () => new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const short = (s) => (s.length > 80 ? `${s.slice(0, 77)}…` : s);

async function mountEmulators() {
  await Promise.all([
    mountCourse(emulatorUrl('player'), `Course player emulator · ${config.emulatorOrigin}`),
    mountBuilder(emulatorUrl('builder'), `Course builder emulator · ${config.emulatorOrigin}`),
  ]);
}

await mountEmulators();
refreshDrafts();
refreshWebhooks();
setInterval(refreshDrafts, 1500);
setInterval(refreshWebhooks, 1000); // retries come within seconds: show them as they happen
window.demo = { get course() { return course; }, get builder() { return builder; }, get saver() { return saver; } };
