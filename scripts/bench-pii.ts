/**
 * CPU cost of the PII detectors, in microseconds per call: `detectPii` on realistic mixed
 * prompts of 1 KB, 4 KB and 100 KB (English prose with a few e-mails, phones, numbers and
 * names embedded), each detector alone on the 4 KB text, and each detector on 1 MB adversarial
 * inputs (milliseconds; these must grow linearly).
 *
 *   npx tsx scripts/bench-pii.ts [--quick]
 *
 * The texts are built here from a fixed seed, so runs are comparable with each other.
 */
import { detectPii, PII_DETECTORS, PiiScan } from "../src/firewall/pii/index";
import { mulberry32 as rng } from "./lib/rng";

const quick = process.argv.includes("--quick");


const PROSE = [
  "Can you help me rewrite the following paragraph so that it sounds more professional and concise?",
  "The quarterly report shows that revenue grew by 12% compared to the same period last year.",
  "Please summarise the main arguments of the article below in three bullet points.",
  "We are planning a team offsite in September and need ideas for activities that suit 25 people.",
  "I'm getting a TypeError when I call map() on the result of the fetch request; what am I doing wrong?",
  "Write a short poem about the sea at night, in the style of a nineteenth-century Romantic poet.",
  "The meeting was moved to Thursday at 3 pm because the client could not make it on Tuesday.",
  "Our build pipeline takes about 14 minutes, and most of that time is spent installing dependencies.",
  "Explain the difference between a process and a thread to someone who has never programmed.",
  "The Project Apollo retrospective is scheduled for next week; bring your notes on what went well.",
  "In 2023 the company opened two new offices, one in Berlin and one in Austin, Texas.",
  "Translate this sentence into French: the weather is lovely today and we are going to the park.",
  "Version 4.2.1 fixed the memory leak, but the dashboard still loads slowly on large accounts.",
  "She said the shipment of 300 units would arrive before the end of the month, weather permitting.",
  "What are the pros and cons of using PostgreSQL instead of MongoDB for a small analytics service?",
  "The Annual General Meeting of the Board will take place in the Main Conference Room.",
  "Give me a list of ten healthy breakfast ideas that take less than ten minutes to prepare.",
  "I have 3 apples, 2 oranges and 7 bananas; how many pieces of fruit do I have in total?",
];

const first = ["Jane", "Henrik", "María", "Olusegun", "Priya", "Dustin", "Chen", "Aoife", "Lukas", "Fatima"];
const last = ["Doe", "García", "Okafor", "Sharma", "Wirth", "Wei", "Murphy", "Schmidt", "Haddad", "Novak"];
const streets = ["Lake Road", "Baker Street", "Main St", "Oak Avenue", "Sunset Blvd", "Hauptstraße"];

function piiSentence(r: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const n = (digits: number): string => {
    let s = String(1 + Math.floor(r() * 9));
    for (let i = 1; i < digits; i++) s += String(Math.floor(r() * 10));
    return s;
  };
  const name = `${pick(first)} ${pick(last)}`;
  switch (Math.floor(r() * 10)) {
    case 0:
      return `You can reach ${name} at ${pick(first).toLowerCase()}.${pick(last).toLowerCase()}@example.com if anything is unclear.`;
    case 1:
      return `Call me on (415) 555-${n(4)} or on my mobile +44 20 7946 ${n(4)} after six.`;
    case 2:
      return `Dear ${name}, thank you for your order #${n(6)} placed on 2024-03-${10 + Math.floor(r() * 18)}.`;
    case 3:
      return `The invoice for ${n(3)} units should be sent to ${n(4)} ${pick(streets)}, Springfield, IL 62704.`;
    case 4:
      return `My card number is 4111 1111 1111 1111 and the expiry is 09/27, please charge it.`;
    case 5:
      return `The server at 10.0.${n(2)}.${n(2)} keeps timing out; the logs mention port 8080 and request id ${n(8)}.`;
    case 6:
      return `Hi ${pick(first)}, the patient's date of birth is 12/31/19${n(2)} and the SSN is 123-45-6789.`;
    case 7:
      return `Transfer the money to IBAN DE89 3704 0044 0532 0130 00 before Friday, reference ${n(5)}.`;
    case 8:
      return `Mr. ${name} will join the call at 14:30; his passport no. X${n(8)} is on file.`;
    default:
      return `The database password is ${pick(last)}${n(4)}! and the account number: ${n(10)}.`;
  }
}

/** English prose with about one PII-bearing sentence in five, cut to `bytes` characters. */
function mixedText(bytes: number, seed = 1): string {
  const r = rng(seed);
  const parts: string[] = [];
  let len = 0;
  while (len < bytes) {
    const s = r() < 0.2 ? piiSentence(r) : PROSE[Math.floor(r() * PROSE.length)]!;
    parts.push(s);
    len += s.length + 1;
    if (r() < 0.15) {
      parts.push("\n\n");
      len += 2;
    }
  }
  return parts.join(" ").slice(0, bytes);
}

/**
 * Best of `rounds` timings, each of as many calls as fit in about `ms`, in µs per call. The
 * minimum, not the median: other processes on a shared machine only ever add time.
 */
function measure(fn: () => unknown, ms = quick ? 60 : 200, rounds = quick ? 3 : 7): number {
  let n = 0;
  const w0 = performance.now();
  // Warm-up (JIT) for half the time budget, then rounds of as many calls as fit in it.
  while (performance.now() - w0 < ms / 2 || n < 3) {
    fn();
    n++;
  }
  const iterations = Math.max(1, n);
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    perCall.push(Number(process.hrtime.bigint() - t0) / 1000 / iterations);
  }
  return Math.min(...perCall);
}

const fmt = (us: number): string => (us < 10 ? us.toFixed(2) : us < 1000 ? us.toFixed(1) : us.toFixed(0)).padStart(8);

const sizes: [string, number][] = [
  ["1 KB", 1024],
  ["4 KB", 4096],
  ["100 KB", 100 * 1024],
];
// Warm the JIT on every input first: V8 re-optimises as new shapes of input reach the code,
// and the first texts measured would otherwise pay for it.
const texts = new Map(sizes.map(([label, bytes]) => [label, mixedText(bytes)]));
const warm0 = performance.now();
while (performance.now() - warm0 < (quick ? 300 : 1500)) for (const t of texts.values()) detectPii(t);

console.log("detectPii on mixed prose (µs per call):");
const results: Record<string, number> = {};
for (const [label, bytes] of sizes) {
  const text = texts.get(label)!;
  const found = detectPii(text).length;
  const us = measure(() => detectPii(text));
  results[label] = us;
  console.log(`  ${label.padEnd(7)} ${fmt(us)} µs   (${(us / (bytes / 1024)).toFixed(1)} µs/KB, ${found} entities)`);
}
// Plain prose with no PII at all, the commonest case.
const plain = (() => {
  const r = rng(7);
  let s = "";
  while (s.length < 4096) s += PROSE[Math.floor(r() * PROSE.length)]! + " ";
  return s.slice(0, 4096);
})();
const plainUs = measure(() => detectPii(plain));
console.log(`  4 KB prose without PII ${fmt(plainUs)} µs`);

console.log("\nper detector on the 4 KB mixed text (µs per call; alone = own pre-scan, shared = pre-scan done once):");
const text4 = mixedText(4096);
const per: Record<string, number> = {};
const shared: Record<string, number> = {};
const scanned = new PiiScan(text4);
void scanned.runStarts;
void scanned.keywordStarts;
for (const [name, detect] of Object.entries(PII_DETECTORS)) {
  per[name] = measure(() => detect(text4));
  shared[name] = measure(() => detect(text4, scanned));
  console.log(`  ${name.padEnd(18)} alone ${fmt(per[name]!)}   shared ${fmt(shared[name]!)}`);
}
const runsUs = measure(() => new PiiScan(text4).runStarts);
const keywordsUs = measure(() => new PiiScan(text4).keywordStarts);
console.log(`  ${"pre-scan: digits".padEnd(18)}       ${fmt(runsUs)}`);
console.log(`  ${"pre-scan: keywords".padEnd(18)}       ${fmt(keywordsUs)}`);
const sum = Object.values(per).reduce((a, b) => a + b, 0);
const sumShared = Object.values(shared).reduce((a, b) => a + b, 0) + runsUs + keywordsUs;
console.log(`  ${"(sum)".padEnd(18)} alone ${fmt(sum)}   shared ${fmt(sumShared)} (with the pre-scan)`);

console.log("\nadversarial 1 MB inputs, slowest detector and detectPii (ms per call):");
const mb = 1 << 20;
const adversarial: [string, string][] = [
  ["digits", "4".repeat(mb)],
  ["digit+space", "1 ".repeat(mb / 2)],
  ["digit+dash", "1-".repeat(mb / 2)],
  ["digit+dot", "1.".repeat(mb / 2)],
  ["'@' run", "@".repeat(mb)],
  ["a@a.", "a@a.".repeat(mb / 4)],
  ["a. then @", `${"a.".repeat(mb / 2)}@b.co`],
  ["colons", "::".repeat(mb / 2)],
  ["hex+colon", "a:".repeat(mb / 2)],
  ["Capitalised", "Ab Cd Ef Gh ".repeat(mb / 12)],
  ["Dr. A", "Dr. A ".repeat(Math.ceil(mb / 6))],
  ["12 Ab", "12 Ab ".repeat(Math.ceil(mb / 6))],
  ["password:", "password: ".repeat(Math.ceil(mb / 10))],
  ["born 1/1/", "born 1/1/".repeat(Math.ceil(mb / 9))],
  ["GB82", "GB82 ".repeat(Math.ceil(mb / 5))],
  ["+1 ", "+1 ".repeat(Math.ceil(mb / 3))],
  ["x://a:b@", "x://a:b@".repeat(mb / 8)],
  ["pw:'", "pw:'".repeat(mb / 4)],
  ["1 x1", "1 x1 ".repeat(Math.ceil(mb / 5))],
];
/** Best of two runs, in ms (one call on 1 MB is long enough to time alone). */
function once(fn: () => unknown): number {
  let best = Infinity;
  for (let r = 0; r < 2; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
for (const [label, input] of adversarial) {
  let worst = "";
  let worstMs = 0;
  for (const [name, detect] of Object.entries(PII_DETECTORS)) {
    const ms = once(() => detect(input));
    if (ms > worstMs) [worst, worstMs] = [name, ms];
  }
  const all = once(() => detectPii(input));
  console.log(`  ${label.padEnd(12)} worst ${worst.padEnd(18)} ${worstMs.toFixed(1).padStart(7)} ms   detectPii ${all.toFixed(1).padStart(7)} ms`);
}
console.log(JSON.stringify({ detectPii_us: results, plain4k_us: +plainUs.toFixed(2), perDetector4k_us: Object.fromEntries(Object.entries(per).map(([k, v]) => [k, +v.toFixed(2)])), sharedScan4k_us: Object.fromEntries(Object.entries(shared).map(([k, v]) => [k, +v.toFixed(2)])), prescan4k_us: { digits: +runsUs.toFixed(2), keywords: +keywordsUs.toFixed(2) } }));
