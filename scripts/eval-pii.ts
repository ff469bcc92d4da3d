/**
 * Scores the PII and secret detectors against the development set (both run on each text,
 * their spans combined by `resolveOverlaps` as the firewall does): per type precision / recall / F1,
 * per source (the id tag: "presidio", "gen-a"), and speed in µs per KB.
 * A prediction matches a gold span when the types are equal and they overlap by at least half
 * of the gold span. Dataset offsets are code points; they are converted to UTF-16 here.
 *
 *   npx tsx scripts/eval-pii.ts [--data PATH] [--errors TYPE]
 */
import { readFileSync } from "node:fs";
import { resolveOverlaps } from "../src/firewall/entity";
import { detectPii } from "../src/firewall/pii/index";
import { detectSecrets } from "../src/firewall/secrets/index";

interface Gold {
  type: string;
  start: number;
  end: number;
}
interface Row {
  id: string;
  text: string;
  entities: Gold[];
}

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const dataPath = flag("--data") ?? new URL("../../shared/data/pii-dev.jsonl", import.meta.url);
const showErrors = flag("--errors");

/** Maps code-point offsets to UTF-16 offsets for one text. */
function cpToUtf16(text: string): (cp: number) => number {
  const map: number[] = [];
  let u = 0;
  for (const ch of text) {
    map.push(u);
    u += ch.length;
  }
  map.push(u);
  return (cp) => map[cp] ?? u;
}

const rows: Row[] = readFileSync(dataPath, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Row);

type Counts = { tp: number; fp: number; fn: number };
const table = new Map<string, Counts>(); // key: source \t type
const bump = (source: string, type: string, k: keyof Counts): void => {
  for (const s of [source, "all"]) {
    const key = `${s}\t${type}`;
    const c = table.get(key) ?? { tp: 0, fp: 0, fn: 0 };
    c[k]++;
    table.set(key, c);
  }
};

let bytes = 0;
let nanos = 0n;
const predictedTypes = new Set<string>();
for (const row of rows) {
  const source = row.id.replace(/^dev-/, "").replace(/-\d+$/, "");
  const toU = cpToUtf16(row.text);
  const gold = row.entities.map((e) => ({ type: e.type, start: toU(e.start), end: toU(e.end) }));
  const t0 = process.hrtime.bigint();
  const pred = resolveOverlaps([...detectPii(row.text), ...detectSecrets(row.text)]);
  nanos += process.hrtime.bigint() - t0;
  bytes += Buffer.byteLength(row.text);
  const used = new Set<number>();
  for (const p of pred) predictedTypes.add(p.type);
  for (const g of gold) {
    const idx = pred.findIndex(
      (p, i) => !used.has(i) && p.type === g.type && Math.min(p.end, g.end) - Math.max(p.start, g.start) >= (g.end - g.start) / 2,
    );
    if (idx === -1) {
      bump(source, g.type, "fn");
      if (showErrors === g.type) console.log(`FN ${row.id} ${JSON.stringify(row.text.slice(g.start, g.end))} | ${JSON.stringify(row.text.slice(Math.max(0, g.start - 40), g.end + 20))}`);
    } else {
      used.add(idx);
      bump(source, g.type, "tp");
    }
  }
  pred.forEach((p, i) => {
    if (used.has(i)) return;
    bump(source, p.type, "fp");
    if (showErrors === p.type) console.log(`FP ${row.id} ${JSON.stringify(row.text.slice(p.start, p.end))} | ${JSON.stringify(row.text.slice(Math.max(0, p.start - 40), p.end + 20))}`);
  });
}

const f = (x: number): string => x.toFixed(3);
const summary: Record<string, Record<string, { p: number; r: number; f1: number; tp: number; fp: number; fn: number }>> = {};
for (const [key, c] of [...table].sort()) {
  const [source, type] = key.split("\t") as [string, string];
  // Types no detector emits (LOCATION, ORGANIZATION, ...) are out of scope, not misses.
  if (!predictedTypes.has(type)) continue;
  const p = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const r = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  const f1 = p + r === 0 ? 0 : (2 * p * r) / (p + r);
  (summary[source] ??= {})[type] = { p: +f(p), r: +f(r), f1: +f(f1), tp: c.tp, fp: c.fp, fn: c.fn };
  console.log(`${source.padEnd(9)} ${type.padEnd(20)} P ${f(p)}  R ${f(r)}  F1 ${f(f1)}  (tp ${c.tp} fp ${c.fp} fn ${c.fn})`);
}
const usPerKb = Number(nanos) / 1000 / (bytes / 1024);
console.log(`speed: ${usPerKb.toFixed(1)} µs/KB over ${rows.length} texts (${(bytes / 1024).toFixed(0)} KB)`);
console.log(JSON.stringify({ rows: rows.length, usPerKb: +usPerKb.toFixed(1), summary }));
