// Writes the committed seed corpus (fuzz/corpus/<target>/seed-*) from tests/vectors.
//   node fuzz/seed.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const vectors = (name) => new URL(`../tests/vectors/${name}`, import.meta.url);
const write = (target, files) => {
  const dir = new URL(`corpus/${target}/`, import.meta.url);
  mkdirSync(dir, { recursive: true });
  files.forEach((bytes, i) => writeFileSync(new URL(`seed-${String(i).padStart(3, '0')}`, dir), bytes));
};

// decode: one message per line, as the glue would JSON.parse it.
const messages = readFileSync(vectors('messages.jsonl'), 'utf8').split('\n').filter((l) => l.trim())
  .map((l) => JSON.parse(l).message).map((m) => (typeof m === 'string' ? m : JSON.stringify(m)));
const sequences = JSON.parse(readFileSync(vectors('progress.json'), 'utf8')).cases.map((c) => c.in.map((v) =>
  JSON.stringify(v === 'completed' ? { type: 'course', event: 'completed' }
    : { type: 'course', event: 'progress', data: { progress: v } })).join('\n'));
write('decode', [...messages, ...sequences].map((s) => Buffer.from(s)));

// webhook_verify: `<mode><timestamp>\n<signature>\n<body>` (see fuzz_targets/webhook_verify.rs).
const cases = JSON.parse(readFileSync(vectors('webhooks.json'), 'utf8')).cases;
const header = (c, name) => Object.entries(c.headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? '';
write('webhook_verify', cases.flatMap((c) => [
  Buffer.concat([Buffer.from([0]), Buffer.from(`\n\n${c.body}`)]),
  Buffer.concat([Buffer.from([1]), Buffer.from(`${header(c, 'x-coassemble-timestamp')}\n${header(c, 'x-coassemble-signature')}\n${c.body}`)]),
]));

// json_differential: every JSON text of the vectors (each message; each vector file whole; each
// webhook body), and a few texts where JSON readers commonly disagree.
const files = ['messages.jsonl', 'progress.json', 'webhooks.json'].map((f) => readFileSync(vectors(f), 'utf8'));
const tricky = ['', ' ', '-0', '1e400', '0.1e-400', '1.7976931348623157e308', '9007199254740993', '123456789012345',
  '1234567890123456', '01', '1.', '.5', '-', '+1', '"\\ud800"', '"\\udc00\\ud800"', '"\\u00e9"', '"\u0001"', '[1,]', '{"a":1,}',
  '{"a":1,"a":null}', '{"a":null,"a":2}', '\ufeff{}', '[[[[[[[[[[]]]]]]]]]]', 'nul', 'true false', '{"a" 1}', '"\t"', '\t[ ]\r\n'];
write('json_differential', [...messages, ...files, ...cases.map((c) => c.body), ...tricky].map((s) => Buffer.from(s)));
