// What the tests that play a consumer of the PACKED package share: running a command with a deadline,
// installing a consumer's tools from the npm registry once into a cache outside the repo, packing the
// repository, and serving a built app from loopback.
import { spawn } from 'node:child_process';
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../..', import.meta.url));
/** ~/.cache/coassemble-events (COASSEMBLE_EVENTS_CACHE / XDG_CACHE_HOME are honoured). */
export const cache = process.env.COASSEMBLE_EVENTS_CACHE
  ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coassemble-events');
const NPM_INSTALL_TIMEOUT_MS = 300_000;

/** Runs a command; resolves `{ stdout, stderr }`, rejects with a clear message on failure or timeout. */
export function run(cmd, args, { cwd, timeoutMs, what = `${cmd} ${args.join(' ')}`, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, detached: true,
      stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`${what}: ${e.message}`)); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && !timedOut) return resolve({ stdout, stderr });
      const why = timedOut ? `timed out after ${timeoutMs / 1000} s` : `exited with ${code}`;
      reject(new Error(`${what} (in ${cwd}) ${why}\n--- stdout\n${stdout.slice(-3000)}\n--- stderr\n${stderr.slice(-3000)}`));
    });
  });
}

/**
 * Installs `packages` (npm specs) once into `dir` (idempotent: reused while the spec is the same),
 * atomically: a partial install is never used. Resolves 'reused', 'installed' or 'installed by a
 * concurrent run'.
 */
export async function installTools(dir, packages) {
  const spec = packages.join(' ');
  const names = packages.map((p) => p.replace(/(.)@.*$/, '$1'));
  const ready = () => existsSync(join(dir, '.installed'))
    && readFileSync(join(dir, '.installed'), 'utf8') === spec
    && names.every((p) => existsSync(join(dir, 'node_modules', p, 'package.json')));
  if (ready()) return 'reused';
  mkdirSync(join(dir, '..'), { recursive: true });
  const partial = mkdtempSync(`${dir}.partial-`);
  try {
    writeFileSync(join(partial, 'package.json'),
      JSON.stringify({ name: 'coassemble-events-consumer-tools', private: true, type: 'module' }, null, 2));
    await run('npm', ['install', '--no-audit', '--no-fund', '--no-update-notifier', '--save-exact',
      '--fetch-timeout=30000', '--fetch-retries=1', ...packages], {
      cwd: partial, timeoutMs: NPM_INSTALL_TIMEOUT_MS,
      what: `npm install ${spec} into ${dir} (is the npm registry reachable?)`,
    });
    writeFileSync(join(partial, '.installed'), spec);
    if (ready()) return 'installed by a concurrent run';
    rmSync(dir, { recursive: true, force: true }); // absent, broken or of an older spec
    try {
      renameSync(partial, dir);
    } catch (e) {
      if (!ready()) throw e; // else a concurrent run installed it first: use theirs
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return 'installed';
}

/** Removes what killed runs left behind under `dir`: entries of `dir/runs` older than an hour. */
export function removeStaleRuns(dir) {
  const runs = join(dir, 'runs');
  if (!existsSync(runs)) return;
  const hourAgo = Date.now() - 3600_000;
  for (const name of readdirSync(runs)) {
    const path = join(runs, name);
    if (statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * `npm pack` of the repository (its prepack runs scripts/build.sh, a no-op when pkg/ is up to date).
 * Resolves `{ files, extractInto(dir), remove() }`: the tarball's file list, and a function that
 * installs it as `dir/node_modules/coassemble-events` (the package has no dependencies, so this is
 * exactly what `npm install <tgz>` does, without a registry round trip).
 */
export async function packTarball() {
  const packDir = mkdtempSync(join(tmpdir(), 'coassemble-events-pack-'));
  await run('npm', ['pack', '--pack-destination', packDir], {
    cwd: repo, timeoutMs: 600_000, what: 'npm pack (its prepack runs scripts/build.sh)' });
  const tgz = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`npm pack made ${tgz.length} tarballs: ${tgz}`);
  const tarball = join(packDir, tgz[0]);
  const listing = await run('tar', ['-tzf', tarball], { cwd: packDir, timeoutMs: 30_000 });
  return {
    files: listing.stdout.split('\n').filter(Boolean).map((p) => p.replace(/^package\//, '')),
    async extractInto(dir) {
      const installed = join(dir, 'node_modules', 'coassemble-events');
      mkdirSync(installed, { recursive: true });
      await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], { cwd: dir, timeoutMs: 30_000 });
    },
    remove: () => rmSync(packDir, { recursive: true, force: true }),
  };
}

/** Writes `files` (path -> text) under `dir`. */
export function writeFiles(dir, files) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.json': 'application/json', '.css': 'text/css', '.wasm': 'application/wasm' };

/** A static server of `root` on loopback (what a user's CDN or `npx serve` would do). */
export function serveStatic(root) {
  const server = createServer((req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (path.includes('..')) return res.writeHead(400).end();
    if (path.endsWith('/')) path += 'index.html';
    readFile(join(root, path)).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'cache-control': 'no-store' }).end(body),
      () => res.writeHead(404).end('not found'),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  })));
}
