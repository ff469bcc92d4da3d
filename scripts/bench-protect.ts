/**
 * CPU cost of response protection's text guard: a 4 KB answer (prose with a few e-mails, a
 * phone number, a card, a key and request placeholders) streamed through `StreamTextGuard`
 * with the entity and restore scanners in ~4-character deltas (what LLM token deltas look
 * like), in microseconds per delta; and `protectText` on the same 4 KB at once.
 *
 *   npx tsx scripts/bench-protect.ts [--quick]
 *
 * The text is built here from a fixed seed, so runs are comparable with each other.
 */
import { entityScanner } from "../src/protect/entities";
import { restoreScanner } from "../src/protect/restore";
import { StreamTextGuard, protectText } from "../src/protect/stream-text";
import type { OutputScanner } from "../src/protect/types";
import { mulberry32 as rng } from "./lib/rng";

const quick = process.argv.includes("--quick");


const PROSE = [
  "Sure, here is a summary of the quarterly report you shared with me earlier today.",
  "Revenue grew by 12% compared to the same period last year, mostly thanks to new customers.",
  "The meeting was moved to Thursday at 3 pm because the client could not make it on Tuesday.",
  "Version 4.2.1 fixed the memory leak, but the dashboard still loads slowly on large accounts.",
  "In 2023 the company opened two new offices, one in Berlin and one in Austin, Texas.",
  "Let me know if you would like me to expand any of these points into a longer section.",
];
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function answer(size: number, next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const key = `sk-proj-${Array.from({ length: 48 }, () => pick([...ALNUM])).join("")}`;
  const extras = [
    "You can reach the author at maria.lopez@example.com for details.",
    "Call the office on +44 20 7946 0958 before noon.",
    "The card on file ends in 4111 1111 1111 1111 as you asked.",
    `The test key is ${key} and should be rotated.`,
    "I have forwarded the draft to [EMAIL_1] and [NAME_1] as requested.",
  ];
  let out = "";
  while (out.length < size) out += (next() < 0.15 ? pick(extras) : pick(PROSE)) + " ";
  return out.slice(0, size);
}

const originals = new Map([
  ["[EMAIL_1]", "alice@example.org"],
  ["[NAME_1]", "Alice Martin"],
]);
const scanners = (): OutputScanner[] => [entityScanner({ action: () => "redact" }), restoreScanner(originals)];

function deltas(text: string, next: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 2 + Math.floor(next() * 5); // 2..6 characters, ~4 on average
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

function timeIt(runs: number, fn: () => void): number {
  for (let i = 0; i < Math.min(runs, 20); i++) fn(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / runs; // µs per run
}

const text = answer(4096, rng(42));
const chunks = deltas(text, rng(7));
const runs = quick ? 20 : 200;

let maxHeld = 0;
const streamUs = timeIt(runs, () => {
  const guard = new StreamTextGuard({ scanners: scanners() });
  for (const c of chunks) {
    guard.push(c);
    if (guard.held > maxHeld) maxHeld = guard.held;
  }
  guard.flush();
});
const oneShotUs = timeIt(runs * 5, () => protectText(text, scanners()));

// Per-delta distribution: how bad is the worst delta (the one that releases an entity)?
const perDelta: number[] = [];
let streamed = "";
for (let pass = 0; pass <= (quick ? 3 : 20); pass++) {
  const guard = new StreamTextGuard({ scanners: scanners() });
  streamed = "";
  for (const c of chunks) {
    const t0 = process.hrtime.bigint();
    streamed += guard.push(c).text;
    // Pass 0 only warms up (JIT, first allocation of the detectors' tables).
    if (pass > 0) perDelta.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  streamed += guard.flush().text;
}
perDelta.sort((a, b) => a - b);
const q = (p: number): number => Number(perDelta[Math.min(perDelta.length - 1, Math.floor(p * perDelta.length))]!.toFixed(2));

const check = protectText(text, scanners()).text;
console.log(
  JSON.stringify(
    {
      textChars: text.length,
      deltas: chunks.length,
      stream: {
        totalUs: Number(streamUs.toFixed(1)),
        perDeltaMeanUs: Number((streamUs / chunks.length).toFixed(2)),
        perDeltaP50Us: q(0.5),
        perDeltaP99Us: q(0.99),
        perDeltaP999Us: q(0.999),
        perDeltaMaxUs: q(1),
        maxHeldChars: maxHeld,
      },
      oneShot4KbUs: Number(oneShotUs.toFixed(1)),
      redactions: (check.match(/_REDACTED\]/g) ?? []).length,
      // The guard must converge to the one-shot result; a benchmark of a wrong answer is moot.
      streamEqualsOneShot: streamed === check,
    },
    null,
    2,
  ),
);
