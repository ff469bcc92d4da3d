/**
 * CPU cost of the extraction defence per request, in microseconds (issue 7 target: under
 * 100 for the feature extraction and the state update together). For chat bodies whose
 * last user message is 1 KB, 4 KB and 100 KB of prose (a system prompt and an earlier turn
 * ride along, as in real traffic), and a 4 KB body with logprobs and a 300-entry logit_bias:
 * `features` is `extractProbeFeatures` (in the Worker), `total` adds the observation and
 * `observe` on a client state already full (256 fingerprints, a learned template, biased
 * ids), as the client's Durable Object runs it. A plain FNV-1a loop over 4 KB is the
 * machine's baseline. Also reports the largest state size seen. Prints one JSON line.
 *
 *   npm run bench:extraction [-- --quick]
 *
 * Texts come from a fixed seed, so runs are comparable with each other.
 */
import { extractProbeFeatures } from "../src/extraction/features";
import { DEFAULT_PROBE_POLICY } from "../src/extraction/score";
import { emptyProbeState, observationOf, observe, probeStateSize, type ProbeState } from "../src/extraction/state";
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

function usPerCall(body: Record<string, unknown>, minMs: number, withState: boolean): number {
  // A state as a busy client's object holds it: full ring, template, biased ids.
  let state: ProbeState = emptyProbeState();
  let now = Date.UTC(2026, 0, 5);
  const rnd = mulberry32(11);
  for (let i = 0; i < 400; i++) {
    const warm = { ...body, messages: [{ role: "user", content: prose(512, 1000 + i) }], logit_bias: { [String(i)]: 5 } };
    state = observe(state, observationOf(extractProbeFeatures("chat", warm, { fingerprintKey: KEY })), (now += 1000 + Math.floor(rnd() * 1000)), DEFAULT_PROBE_POLICY).state;
  }
  const one = () => {
    const f = extractProbeFeatures("chat", body, { fingerprintKey: KEY });
    if (withState) state = observe(state, observationOf(f), (now += 500), DEFAULT_PROBE_POLICY).state;
  };
  for (let i = 0; i < 50; i++) one();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 20; i++) one();
    calls += 20;
    elapsed = performance.now() - start;
  }
  maxBytes = Math.max(maxBytes, probeStateSize(state));
  return Math.round((elapsed * 1000 * 10) / calls) / 10;
}

let maxBytes = 0;

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

const bodies = {
  chat_1kb: chatBody(1024),
  chat_4kb: chatBody(4096),
  chat_100kb: chatBody(100 * 1024),
  chat_4kb_bias300_logprobs: chatBody(4096, { logprobs: true, top_logprobs: 5, max_tokens: 1, logit_bias: bias }),
};
const features: Record<string, number> = {};
const total: Record<string, number> = {};
for (const [name, body] of Object.entries(bodies)) {
  features[name] = usPerCall(body, minMs, false);
  total[name] = usPerCall(body, minMs, true);
}

console.log(JSON.stringify({ bench: "extraction", unit: "us_per_request", features, total, baseline_fnv_4kb: baselineUs(minMs), max_state_bytes: maxBytes }));
