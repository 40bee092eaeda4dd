// Writes the README's Performance figures from bench/results/*.json (between the `figures` markers).
// tests/node/docs.test.mjs checks that the README holds exactly these lines.
//   node scripts/docs-figures.mjs --write
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contractLines } from '../bench/results.mjs';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const MARKERS = /(<!-- figures:[^\n]*-->\n)[\s\S]*?(<!-- \/figures -->)/;

/** The README with its figures block rendered from the results files. */
export function renderedReadme(text = readFileSync(README, 'utf8')) {
  if (!MARKERS.test(text)) throw new Error('README.md: the <!-- figures: … --> … <!-- /figures --> markers are missing');
  return text.replace(MARKERS, (_, open, close) => `${open}${contractLines().join('\n')}\n${close}`);
}

if (process.argv.includes('--write')) writeFileSync(README, renderedReadme());
