// npx coassemble-events inbox <command> --database <url>: the operator's command line for a webhook
// inbox written by any receiver (Rust or Node: one schema, sql/inbox.*.sql). Loaded by testing/cli.js.
// Expected failures (bad usage, a database that does not answer, nothing to re-drive) print one line,
// never a stack trace; exit codes: 0 ok, 1 the operation failed, 2 usage.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const HELP = `usage: coassemble-events inbox <command> --database <url> [options]

  --database <url>   postgres://user:password@host:port/db, or the path of a SQLite file
                     (default: $DATABASE_URL). Any inbox written by Rust or Node receivers.

commands:
  serve [--port N] [--host H]   the dashboard at / and Prometheus metrics at /metrics
                                (default 127.0.0.1:8090; --port 0 picks a free port). The bearer token
                                comes from $COASSEMBLE_INBOX_TOKEN (16+ characters); without it the
                                dashboard answers loopback requests only, and a non-loopback --host
                                is refused. With $COASSEMBLE_API_KEY set (and $COASSEMBLE_API_URL,
                                $COASSEMBLE_RECONCILE_COURSES), its Reconcile button works.
  list [--status S] [--type T] [--limit N] [--json]
                                deliveries, newest first (default limit 50). S: received, processing,
                                processed, failed, dead. T: an event type, e.g. course.completed
  counts [--json]               deliveries by status, and how long the oldest due one has waited
  redrive <id> | --all          make a dead delivery (or every dead one) due again, with a full set of
                                attempts
  purge <id> | --all            remove a dead delivery (or every dead one) for good; names what it removed
  reconcile --course <id>[,<id>...] [--json]
                                store the commenced/completed events Coassemble gave up delivering
                                (the receiver was down past its ~36 min retries), found through the
                                Headless API's trackings: API key from $COASSEMBLE_API_KEY, base URL
                                from $COASSEMBLE_API_URL (default https://api.coassemble.com). Only
                                events within the inbox's retention (7 days) minus 1 day; prints the
                                report (recovered, known, skipped)

exit codes: 0 ok, 1 the operation failed (e.g. the database is down or does not answer within
15 s, COASSEMBLE_INBOX_OPEN_TIMEOUT_MS), 2 usage`;

const STATUSES = ['received', 'processing', 'processed', 'failed', 'dead'];
const OPEN_TIMEOUT_MS = Number(process.env.COASSEMBLE_INBOX_OPEN_TIMEOUT_MS ?? 15_000);

/** A usage error: printed with a pointer to --help, exit 2. */
class UsageError extends Error {}
/** An expected failure: printed as one line, exit 1. */
class Failure extends Error {}

const OPTIONS = {
  database: { type: 'string' },
  json: { type: 'boolean' },
  status: { type: 'string' },
  type: { type: 'string' },
  limit: { type: 'string' },
  all: { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
  course: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
// Which options each command takes (besides --database and --help).
const TAKES = {
  serve: ['port', 'host'],
  list: ['status', 'type', 'limit', 'json'],
  counts: ['json'],
  redrive: ['all'],
  purge: ['all'],
  reconcile: ['course', 'json'],
};

export async function main(argv) {
  try {
    return await run(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`coassemble-events inbox: ${error.message}\n(coassemble-events inbox --help for usage)`);
      return 2;
    }
    if (error instanceof Failure) {
      console.error(`coassemble-events inbox: ${error.message}`);
      return 1;
    }
    // Unexpected: keep the stack, it is a bug to report.
    console.error(error);
    return 1;
  }
}

async function run(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help' || command === undefined) {
    if (command === undefined && !values.help) {
      console.error(HELP);
      return 2;
    }
    console.log(HELP);
    return 0;
  }
  if (!TAKES[command]) throw new UsageError(`unknown command "${command}"`);
  for (const name of Object.keys(values)) {
    if (name !== 'database' && name !== 'help' && !TAKES[command].includes(name)) {
      throw new UsageError(`${command} does not take --${name}`);
    }
  }
  const database = values.database ?? process.env.DATABASE_URL;
  if (!database) throw new UsageError('--database <url> is required (or set DATABASE_URL)');

  // Check the arguments before opening anything.
  const check = {
    serve() {
      if (rest.length) throw new UsageError(`serve takes no argument "${rest[0]}"`);
      const port = values.port === undefined ? 8090 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0 to 65535');
      const host = values.host ?? '127.0.0.1';
      const token = process.env.COASSEMBLE_INBOX_TOKEN || null;
      if (token !== null && token.length < 16) throw new UsageError('COASSEMBLE_INBOX_TOKEN must be at least 16 characters');
      if (token === null && !isLoopbackName(host)) {
        throw new UsageError(`refusing to serve the dashboard on ${host} without a token: it shows learners' emails. `
          + 'Set COASSEMBLE_INBOX_TOKEN (16+ characters), or bind to 127.0.0.1');
      }
      return { port, host, token };
    },
    list() {
      if (rest.length) throw new UsageError(`list takes no argument "${rest[0]}"`);
      if (values.status !== undefined && !STATUSES.includes(values.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
      if (values.type !== undefined && values.type === '') throw new UsageError('--type must be an event type');
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError('--limit must be 1 to 100000');
      return { status: values.status ?? null, type: values.type ?? null, limit };
    },
    counts() {
      if (rest.length) throw new UsageError(`counts takes no argument "${rest[0]}"`);
      return {};
    },
    redrive: () => target('redrive'),
    purge: () => target('purge'),
    reconcile() {
      if (rest.length) throw new UsageError(`reconcile takes no argument "${rest[0]}" (use --course <id>)`);
      if (!values.course) throw new UsageError('reconcile needs --course <id>');
      const courseIds = values.course.split(',').map((c) => c.trim());
      if (courseIds.some((c) => c === '')) throw new UsageError('--course: course ids separated by commas');
      if (!process.env.COASSEMBLE_API_KEY) throw new UsageError('reconcile needs the API key in COASSEMBLE_API_KEY');
      return { courseIds: courseIds.map((c) => (/^\d+$/.test(c) ? Number(c) : c)) };
    },
  };
  function target(name) {
    if (values.all && rest.length) throw new UsageError(`${name} takes a delivery id or --all, not both`);
    if (!values.all && rest.length !== 1) throw new UsageError(`${name} needs a delivery id, or --all`);
    return { target: values.all ? { all: true } : rest[0] };
  }
  const args = check[command]();

  const inbox = await open(database);
  if (command === 'serve') return serve(inbox, database, args);
  try {
    return await COMMANDS[command](inbox, args, values);
  } catch (error) {
    if (error instanceof UsageError || error instanceof Failure) throw error;
    throw new Failure(databaseFailure(error, database));
  } finally {
    await inbox.close().catch(() => {});
  }
}

const COMMANDS = {
  async list(inbox, { status, type, limit }, { json }) {
    const rows = await inbox.list({ status, type, limit });
    if (json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      console.log(`no deliveries${status || type ? ' match' : ''}`);
      return 0;
    }
    const now = Date.now();
    table(['ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'RECEIVED', 'NEXT RUN', 'LAST ERROR'], rows.map((d) => [
      d.id, d.type, d.status, `${d.attempts}/${d.maxAttempts}`, iso(d.receivedAt),
      ['received', 'failed', 'processing'].includes(d.status) ? (d.runAt <= now ? 'due now' : iso(d.runAt)) : '-',
      firstLine(d.lastError, 60),
    ]));
    return 0;
  },
  async counts(inbox, _args, { json }) {
    const [counts, oldestDueMs] = await Promise.all([inbox.counts(), inbox.oldestDueMs()]);
    if (json) {
      console.log(JSON.stringify({ ...counts, oldestDueMs }, null, 2));
      return 0;
    }
    table(['STATUS', 'COUNT'], [...STATUSES.map((s) => [s, String(counts[s])]), ['oldest due', oldestDueMs === 0 ? 'none' : `${Math.round(oldestDueMs / 1000)} s`]]);
    return 0;
  },
  async redrive(inbox, { target }) {
    if (typeof target === 'string') {
      const row = await inbox.get(target);
      if (!row) throw new Failure(`no delivery ${target}`);
      if (row.status !== 'dead') throw new Failure(`delivery ${target} is ${row.status}, not dead: nothing to re-drive`);
    }
    const n = await inbox.redrive(target);
    console.log(typeof target === 'string' ? `re-drove ${target}: due now, with a full set of attempts`
      : n === 0 ? 'no dead deliveries to re-drive' : `re-drove ${n} dead ${n === 1 ? 'delivery' : 'deliveries'}: due now, with a full set of attempts`);
    return 0;
  },
  async purge(inbox, { target }) {
    // Each dead delivery is removed by its id, so the report names exactly what was removed (one
    // that dies meanwhile is left for the next purge).
    let dead;
    if (typeof target === 'string') {
      const row = await inbox.get(target);
      if (!row) throw new Failure(`no delivery ${target}`);
      if (row.status !== 'dead') throw new Failure(`delivery ${target} is ${row.status}, not dead: only dead deliveries are purged`);
      dead = [row];
    } else {
      dead = await inbox.list({ status: 'dead', limit: 100_000 });
    }
    const removed = [];
    for (const d of dead) if ((await inbox.purgeDead(d.id)) > 0) removed.push(d);
    if (removed.length === 0) {
      console.log('no dead deliveries to remove');
      return 0;
    }
    console.log(`removed ${removed.length} dead ${removed.length === 1 ? 'delivery' : 'deliveries'}:`);
    for (const d of removed) console.log(`  ${d.id}  ${d.type}  received ${iso(d.receivedAt)}  ${firstLine(d.lastError, 60)}`);
    return 0;
  },
  async reconcile(inbox, { courseIds }, values) {
    const apiKey = process.env.COASSEMBLE_API_KEY;
    if (!apiKey) throw new UsageError('reconcile needs the API key in COASSEMBLE_API_KEY');
    const { createCoassembleApi } = await import('../dist/api.js');
    const api = createCoassembleApi({ apiKey, ...(process.env.COASSEMBLE_API_URL ? { baseUrl: process.env.COASSEMBLE_API_URL } : {}) });
    let report;
    try {
      report = await inbox.reconcile({ api, courseIds });
    } catch (error) {
      if (error?.name === 'ReconcileError') throw new Failure(`reconcile failed (${error.code}): ${error.message}`);
      throw error;
    }
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      console.log(`reconciled ${courseIds.length} course${courseIds.length === 1 ? '' : 's'}: ${report.listed} trackings listed, `
        + `${report.recovered} recovered (stored now), ${report.known} known (already in the inbox), `
        + `${report.skipped} skipped (older than the retention window, since ${iso(report.since)})`
        + (report.unidentified ? `, ${report.unidentified} without a learner identifier` : ''));
      for (const id of report.recoveredIds) console.log(`  ${id}`);
    }
    return 0;
  },
};

async function serve(inbox, database, { port, host, token }) {
  const [{ createInboxDashboard }, { createInboxMetrics }] = await Promise.all([
    import('../dist/inbox-dashboard.js'),
    import('../dist/inbox-metrics.js'),
  ]);
  // With COASSEMBLE_API_KEY set, the dashboard's reconcile button works (COASSEMBLE_API_URL: another
  // API host; COASSEMBLE_RECONCILE_COURSES: the courses it reconciles when none is typed in).
  let reconcile;
  if (process.env.COASSEMBLE_API_KEY) {
    const { createCoassembleApi } = await import('../dist/api.js');
    const api = createCoassembleApi({ apiKey: process.env.COASSEMBLE_API_KEY, ...(process.env.COASSEMBLE_API_URL ? { baseUrl: process.env.COASSEMBLE_API_URL } : {}) });
    const courses = (process.env.COASSEMBLE_RECONCILE_COURSES ?? '').split(',').map((c) => c.trim()).filter(Boolean)
      .map((c) => (/^\d+$/.test(c) ? Number(c) : c));
    reconcile = async ({ courseId } = {}) => {
      const courseIds = courseId !== undefined ? [courseId] : courses;
      if (courseIds.length === 0) throw new Error('type a course id (or set COASSEMBLE_RECONCILE_COURSES)');
      const report = await inbox.reconcile({ api, courseIds });
      return { ...report, recoveredIds: report.recoveredIds.slice(0, 50) };
    };
  }
  const dashboard = createInboxDashboard(inbox, { token, ...(reconcile ? { reconcile } : {}) });
  const metrics = createInboxMetrics(inbox, { token });
  const server = createServer((req, res) => {
    const path = req.url.split('?')[0];
    return path === '/metrics' ? metrics.handler(req, res) : dashboard(req, res);
  });
  try {
    await new Promise((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  } catch (error) {
    await inbox.close().catch(() => {});
    throw new Failure(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
  }
  const { port: bound } = server.address();
  const shown = host.includes(':') ? `[${host}]` : host;
  // One write: a reader that waits for the URL line has the rest too.
  console.log(`coassemble-events inbox: dashboard at http://${shown}:${bound}/ (metrics at /metrics) on ${describe(database)}\n${
    token ? 'the API and /metrics need the bearer token in COASSEMBLE_INBOX_TOKEN' : 'no token: answering loopback requests only'}`);
  const stop = () => {
    server.closeAllConnections?.();
    server.close(() => inbox.close().finally(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return undefined;
}

async function open(database) {
  const postgres = /^postgres(ql)?:\/\//i.test(database);
  if (!postgres && !existsSync(database.replace(/^sqlite:/, ''))) {
    throw new Failure(`no inbox database at ${database} (a SQLite file path, or a postgres:// URL)`);
  }
  const { openInbox } = await import('../dist/inbox.js');
  // A host that drops packets never refuses: pg has no connect timeout by default, so give up here
  // (the pending connection would keep the process alive: exit at once).
  const timer = setTimeout(() => {
    console.error(`coassemble-events inbox: cannot use the inbox database at ${describe(database)}: no answer within ${OPEN_TIMEOUT_MS / 1000} s`);
    process.exit(1);
  }, OPEN_TIMEOUT_MS);
  timer.unref();
  try {
    return await openInbox(database, { poolSize: 2, onError: () => {} });
  } catch (error) {
    throw new Failure(databaseFailure(error, database));
  } finally {
    clearTimeout(timer);
  }
}

/** One line naming the database (never its password) and what went wrong. */
function databaseFailure(error, database) {
  const code = error?.code ? ` (${error.code})` : '';
  const reasons = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    '28P01': 'password authentication failed',
    28000: 'not authorized',
    '3D000': 'database does not exist',
    SQLITE_CANTOPEN: 'cannot open the file',
    SQLITE_NOTADB: 'not a SQLite database',
  };
  const reason = reasons[error?.code] ?? String(error?.message ?? error).split('\n')[0];
  return `cannot use the inbox database at ${describe(database)}: ${reason}${code}`;
}

/** The database without its password: postgres://user@host:port/db, or the file path. */
function describe(database) {
  if (!/^postgres(ql)?:\/\//i.test(database)) return database;
  try {
    const u = new URL(database);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'a postgres:// URL that does not parse';
  }
}

function isLoopbackName(host) {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const iso = (ms) => (ms == null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
function firstLine(text, max) {
  if (text == null) return '';
  const line = String(text).split('\n')[0];
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log([line(head), ...rows.map(line)].join('\n'));
}
