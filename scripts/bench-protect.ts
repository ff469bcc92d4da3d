/**
 * CPU cost of response protection's text guard: a 4 KB answer (prose with a few e-mails, a
 * phone number, a card, a key and request placeholders) streamed through `StreamTextGuard`
 * with the entity and restore scanners in ~4-character deltas (what LLM token deltas look
 * like), in microseconds per delta; and `protectText` on the same 4 KB at once.
 *
 * `sse`: the same answer as a chat completion stream of one event per word, through the
 * stream guard (src/upstream/stream-guard.ts) with and without the event rewriter at the
 * default output rules: what response protection adds per SSE event, splitting, parsing and
 * re-emitting included. Rounds alternate the two, so drift hits both alike.
 *
 *   npm run bench:protect [-- --quick]   (compiled as the Worker is: scripts/run-as-deployed.ts)
 *
 * The text is built here from a fixed seed, so runs are comparable with each other.
 */
import { entityScanner } from "../src/protect/entities";
import { OutputPolicySchema } from "../src/protect/policy";
import { ResponseProtection } from "../src/protect/response";
import { guardStream } from "../src/upstream/stream-guard";
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

// ---- SSE events through the stream guard, protection on and off ----
const words = text.split(/(?=\s)/);
const envelope = { id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1700000000, model: "mock-gpt", service_tier: "default", system_fingerprint: null };
const bytes = new TextEncoder();
const events = [
  ...words.map((w, i) => ({ ...envelope, choices: [{ index: 0, delta: i === 0 ? { role: "assistant", content: w, refusal: null } : { content: w }, logprobs: null, finish_reason: null }], usage: null })),
  { ...envelope, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }], usage: null },
  { ...envelope, choices: [], usage: { prompt_tokens: 900, completion_tokens: words.length, total_tokens: 900 + words.length } },
].map((e) => bytes.encode(`data: ${JSON.stringify(e)}\n\n`));
events.push(bytes.encode("data: [DONE]\n\n"));
const policy = OutputPolicySchema.parse({});

/** One stream, an upstream read per event (as workerd hands them over); returns the client's text. */
async function sseOnce(protect: boolean): Promise<string> {
  let i = 0;
  const upstream = new ReadableStream<Uint8Array>({ pull: (c) => (i < events.length ? c.enqueue(events[i++]!) : c.close()) });
  const p = new ResponseProtection({ policy, originals, canary: undefined, systemPrompt: "" });
  const g = guardStream(upstream, { kind: "chat", idleTimeoutMs: 60_000, maxBytes: 1e9, abort: () => {}, countOutput: true, hideUsageChunk: true, rewriter: protect ? p.rewriter("chat") : undefined });
  const reader = g.stream.getReader();
  const decoder = new TextDecoder();
  let body = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) body += decoder.decode(r.value, { stream: true });
  await g.done;
  return body;
}

const sseRuns = quick ? 40 : 300;
const perEvent = { off: [] as number[], on: [] as number[] };
for (let round = 0; round < (quick ? 2 : 5); round++) {
  for (const mode of ["off", "on"] as const) {
    for (let k = 0; k < 20; k++) await sseOnce(mode === "on");
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < sseRuns; k++) await sseOnce(mode === "on");
    perEvent[mode].push(Number(process.hrtime.bigint() - t0) / 1000 / sseRuns / words.length);
  }
}
const added = perEvent.on.map((on, r) => on - perEvent.off[r]!).sort((a, b) => a - b);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
// The client must read the one-shot result here too.
const sseText = (await sseOnce(true))
  .split("\n\n")
  .filter((b) => b.startsWith("data: {"))
  .map((b) => (JSON.parse(b.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? "")
  .join("");

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
      sse: {
        events: words.length,
        perEventOffUs: Number(median(perEvent.off).toFixed(2)),
        perEventOnUs: Number(median(perEvent.on).toFixed(2)),
        addedPerEventUs: Number(added[added.length >> 1]!.toFixed(2)),
        addedPerEventRoundsUs: added.map((x) => Number(x.toFixed(2))),
        clientEqualsOneShot: sseText === new ResponseProtection({ policy, originals, canary: undefined, systemPrompt: "" }).once(text, false),
      },
      redactions: (check.match(/_REDACTED\]/g) ?? []).length,
      // The guard must converge to the one-shot result; a benchmark of a wrong answer is moot.
      streamEqualsOneShot: streamed === check,
    },
    null,
    2,
  ),
);
