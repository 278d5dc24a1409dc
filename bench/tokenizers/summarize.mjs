// Medians of interleaved bench rounds: one JSON line per engine and tokenizer on stdout (mb_per_s = median over the
// rounds, runs = every round's figure), then Skald's ratios to each peer on stderr.
// usage: node summarize.mjs RAW_JSONL "LOADAVG"
import fs from 'node:fs';
const [rawFile, load] = process.argv.slice(2);
const rows = fs.readFileSync(rawFile, 'utf8').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const groups = new Map();
for (const r of rows) {
  const key = `${r.engine}\t${r.tokenizer}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(r);
}
const result = new Map();
for (const [key, rs] of groups) {
  const line = { ...rs[0], mb_per_s: median(rs.map((r) => r.mb_per_s)), runs: rs.map((r) => r.mb_per_s), loadavg: load, date: new Date().toISOString() };
  for (const f of ['mb_per_s_1t', 'cpu_mb_per_s', 'cpu_mb_per_s_1t', 'gc_pause_pct', 'gc_pause_pct_1t', 'gen0_per_round', 'gen0_per_round_1t'])
    if (rs[0][f] !== undefined) line[f] = median(rs.map((r) => r[f]));
  delete line.rounds;
  result.set(key, line);
  console.log(JSON.stringify(line));
}
for (const [key, s] of result) {
  const [engine, tok] = key.split('\t');
  if (engine !== 'skald') continue;
  for (const [k2, p] of result) {
    const [e2, t2] = k2.split('\t');
    if (e2 === 'skald' || t2 !== tok) continue;
    console.error(`${tok}: skald/${e2} = ${(s.mb_per_s / p.mb_per_s).toFixed(2)}x (${s.mb_per_s} vs ${p.mb_per_s} MB/s)`);
  }
  if (s.mb_per_s_1t !== undefined) console.error(`${tok}: skald ${s.threads} threads / 1 thread = ${(s.mb_per_s / s.mb_per_s_1t).toFixed(2)} (wall), CPU-time MB/s ${s.cpu_mb_per_s} vs ${s.cpu_mb_per_s_1t} (${(s.cpu_mb_per_s / s.cpu_mb_per_s_1t).toFixed(2)}), GC pause ${s.gc_pause_pct}% vs ${s.gc_pause_pct_1t}% of wall`);
}
