// HF tokenizers (node) encodeBatch throughput on the same texts: MB/s of UTF-8 text.
// usage: RAYON_NUM_THREADS=2 node bench_hf.mjs TEXTS_FILE SECONDS TOKENIZER_JSON...
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
const require = createRequire(new URL('../../fixtures/tokenizers/package.json', import.meta.url));
const hf = require('tokenizers');

const [textsFile, secondsArg, ...tokenizers] = process.argv.slice(2);
const texts = fs.readFileSync(textsFile, 'utf8').split('\n').filter((l) => l.length > 0);
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
const seconds = Number(secondsArg);
for (const file of tokenizers) {
  const tk = hf.Tokenizer.fromFile(file);
  const warm = await tk.encodeBatch(texts);
  const tokens = warm.reduce((n, e) => n + e.getLength(), 0);
  let rounds = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds || rounds < 2) {
    await tk.encodeBatch(texts);
    rounds++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  console.log(JSON.stringify({ engine: 'hf-tokenizers-node', tokenizer: path.basename(path.dirname(file)), threads: Number(process.env.RAYON_NUM_THREADS || 0), lines: texts.length, mb: bytes / 1e6, tokens, rounds, mb_per_s: Math.round((bytes * rounds) / elapsed / 1e4) / 100 }));
}
