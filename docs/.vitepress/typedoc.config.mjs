// TypeDoc over the package's public declarations: one module per entry point of package.json's
// "exports", named by its import specifier (`coassemble-events/webhooks`), rendered as Markdown into
// docs/api for VitePress (typedoc-vitepress-theme writes the sidebar). Run by `npm run docs`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const { exports } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
/** `./js/server/webhooks.d.ts` → `coassemble-events/webhooks`, for every entry that has types. */
export const modules = Object.fromEntries(Object.entries(exports)
  .filter(([, target]) => typeof target === 'object' && target.types)
  .map(([entry, { types }]) => [types.replace(/^\.\//, ''), `coassemble-events${entry.slice(1)}`]));

export default {
  entryPoints: Object.keys(modules).map((path) => `${root}/${path}`),
  plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme', `${root}/docs/.vitepress/typedoc-names.mjs`],
  out: `${root}/docs/api`,
  docsRoot: `${root}/docs`,
  readme: 'none',
  entryFileName: 'index',
  excludePrivate: true,
  hidePageHeader: true,
  disableSources: true,
  // The declarations reach Node's types (node:http handlers) and the DOM's (iframes).
  compilerOptions: { types: ['node'], lib: ['es2022', 'dom'], skipLibCheck: true },
};
