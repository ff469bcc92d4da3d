/**
 * CPU cost of the probing features, in microseconds per request: `extractProbeFeatures` on
 * chat bodies whose last user message is 1 KB, 4 KB and 100 KB of prose (a system prompt
 * and an earlier turn ride along, as in real traffic), plus a 4 KB body with logprobs and a
 * 300-entry logit_bias, and a plain FNV-1a loop over 4 KB as the machine's baseline. Prints one JSON line.
 *
 *   npx tsx scripts/bench-extraction.ts [--quick]
 *
 * Texts come from a fixed seed, so runs are comparable with each other.
 */
import { extractProbeFeatures } from "../src/extraction/features";
import { mulberry32 } from "./lib/rng";

const quick = process.argv.includes("--quick");
const KEY = "bench-fingerprint-key";

const SENTENCES = [
  "Can you help me rewrite the following paragraph so that it sounds more professional?",
  "The quarterly report shows that revenue grew by 12% compared to the same period last year.",
  "Please summarise the main arguments of the article below in three bullet points.",
  "I'm getting a TypeError when I call map() on the result of the fetch request.",
  "Explain the difference between a process and a thread to someone new to programming.",
  "Our build pipeline takes about 14 minutes, mostly spent installing dependencies.",
  "Give me a list of ten healthy breakfast ideas that take less than ten minutes.",
  "Die Besprechung wurde auf Donnerstag verschoben, weil der Kunde am Dienstag nicht konnte.",
];

function prose(chars: number, seed: number): string {
  const rnd = mulberry32(seed);
  let out = "";
  while (out.length < chars) out += SENTENCES[Math.floor(rnd() * SENTENCES.length)] + (rnd() < 0.2 ? "\n\n" : " ");
  return out.slice(0, chars);
}

function chatBody(chars: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "You are a helpful assistant for an internal engineering team." },
      { role: "user", content: "Hello!" },
      { role: "assistant", content: "Hi, how can I help?" },
      { role: "user", content: prose(chars, chars) },
    ],
    ...extra,
  };
}

function usPerCall(body: Record<string, unknown>, minMs: number): number {
  for (let i = 0; i < 50; i++) extractProbeFeatures("chat", body, { fingerprintKey: KEY });
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 20; i++) extractProbeFeatures("chat", body, { fingerprintKey: KEY });
    calls += 20;
    elapsed = performance.now() - start;
  }
  return Math.round((elapsed * 1000 * 10) / calls) / 10;
}

/** A plain FNV-1a loop over 4 KB, so numbers from machines of different speed can be compared. */
function baselineUs(minMs: number): number {
  const text = prose(4096, 7);
  let calls = 0;
  let sink = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let r = 0; r < 20; r++) {
      let h = 0x811c9dc5;
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
      sink ^= h;
    }
    calls += 20;
  }
  // Reading `sink` keeps the loop from being optimised away.
  if (sink === 42) console.error("");
  return Math.round(((performance.now() - start) * 1000 * 10) / calls) / 10;
}

const minMs = quick ? 200 : 1500;
const bias: Record<string, number> = {};
for (let i = 0; i < 300; i++) bias[String(1000 + i * 7)] = 100;

console.log(
  JSON.stringify({
    bench: "extraction-features",
    unit: "us_per_request",
    chat_1kb: usPerCall(chatBody(1024), minMs),
    chat_4kb: usPerCall(chatBody(4096), minMs),
    chat_100kb: usPerCall(chatBody(100 * 1024), minMs),
    baseline_fnv_4kb: baselineUs(minMs),
    chat_4kb_bias300_logprobs: usPerCall(chatBody(4096, { logprobs: true, top_logprobs: 5, max_tokens: 1, logit_bias: bias }), minMs),
  }),
);
