// VitePress data loader: the performance page's figures, read from the committed benchmark results
// (bench/results/*.json), never typed into the page.
import { contractLines, readResults } from '../bench/results.mjs';

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
/** The few inline Markdown marks the contract lines use (bold, code), as HTML. */
const inline = (s) => escape(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`([^`]+)`/g, '<code>$1</code>');

export default {
  watch: ['../bench/results/*.json'],
  load() {
    const results = readResults();
    const contract = [];
    for (const line of contractLines(results)) {
      if (line.startsWith('- ')) contract.push({ run: inline(line.slice(2)), items: [] });
      else contract.at(-1).items.push(inline(line.trim().slice(2)));
    }
    return { contract, results };
  },
};
