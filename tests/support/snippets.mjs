// The one extractor of the documentation's code blocks: every fenced block of README.md and of the
// docs site's pages (docs/**/*.md, less the generated API reference), with its language and markers
// (```ts no-run → lang 'ts', markers ['no-run']). The tests that type-check and run the snippets
// take theirs from here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** README.md and every docs page written by hand (not docs/api, which TypeDoc generates). */
export function docFiles() {
  const pages = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && relative(ROOT, path) !== join('docs', 'api')) walk(path);
      } else if (entry.name.endsWith('.md')) {
        pages.push(relative(ROOT, path));
      }
    }
  };
  walk(join(ROOT, 'docs'));
  return ['README.md', ...pages.sort()];
}

/**
 * Every fenced block: `{ file, line, lang, markers, code, name }`, where `name` is the file and line
 * (`docs/guide/inbox.md:42`) for messages.
 */
export function snippets(files = docFiles()) {
  const out = [];
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(\w+)?(.*)$/.exec(lines[i]);
      if (!open) continue;
      const start = i;
      const body = [];
      while (++i < lines.length && !lines[i].startsWith('```')) body.push(lines[i]);
      out.push({ file, line: start + 1, name: `${file}:${start + 1}`, lang: open[1] ?? '',
        markers: open[2].trim().split(/\s+/).filter(Boolean), code: `${body.join('\n')}\n` });
    }
  }
  return out;
}

/** The one block of `lang` whose code starts with `first` (e.g. `// outage.test.mjs`). */
export function snippetStartingWith(lang, first) {
  const found = snippets().filter((s) => s.lang === lang && s.code.startsWith(first));
  if (found.length !== 1) throw new Error(`the docs have ${found.length} \`\`\`${lang} blocks starting with ${first}, not one`);
  return found[0];
}

/** A ```ts snippet as the ES module TypeScript emits for it: types removed, nothing else changed. */
/**
 * The docs' servers listen on a fixed port (3000). Run as written (`node --import ./free-port.mjs`,
 * this text in free-port.mjs), each gets a free port instead: listen() is mapped to port 0 and the
 * port it got is printed as `listening on <port>`.
 */
export const FREE_PORT_PRELOAD = `import { Server } from 'node:net';
const listen = Server.prototype.listen;
Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') args[0] = 0;
  else if (args[0] && typeof args[0] === 'object' && 'port' in args[0]) args[0] = { ...args[0], port: 0 };
  this.once('listening', () => process.stdout.write(\`listening on \${this.address().port}\\n\`));
  return listen.apply(this, args);
};
`;

export function stripTypes(code) {
  return ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}

/**
 * The suite that runs a ```ts/```js snippet, by what it is (not by where it sits, so snippets can move):
 * `no-run` (marked, with the reason in the page source), `playwright` (tests/e2e/readme-testing),
 * `outage` (tests/node/platform), `inbox` (an openInbox receiver: tests/node/readme-inbox), `receiver`
 * (a verifyWebhook handler: tests/pack/runtimes), `types` (declarations only: a framework's typings,
 * type-checked by tests/node/snippets and nothing to run), `page` (uses the DOM) or `node` (the rest);
 * the last two run in tests/e2e/docs-snippets.
 */
export function runnerOf(s) {
  if (s.markers.includes('no-run')) return 'no-run';
  // Declarations only (a framework's typings for the elements): type-checked, nothing to run.
  if (/^\s*declare module /m.test(s.code)) return 'types';
  if (s.code.startsWith('// tests/lesson.spec.ts')) return 'playwright';
  if (s.code.startsWith('// outage.test.mjs')) return 'outage';
  if (s.code.includes('openInbox(') && /createServer\(|express\(\)|Fastify\(|export default|export async function POST/.test(s.code)) return 'inbox';
  if (s.lang === 'js' && s.code.includes('verifyWebhook(')
    && /export default|export async function|createServer\(|express\(\)/.test(s.code)) return 'receiver';
  return /\bdocument\./.test(s.code) ? 'page' : 'node';
}
