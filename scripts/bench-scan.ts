/**
 * CPU cost of the prompt firewall per request, with every scanner on: extraction,
 * smuggling, PII, secrets, payload decoding, the tier-1 classifier and the decisions, run on
 * V8 in a tight loop (see scripts/bench-stages.ts for why not inside workerd).
 *
 *   npm run bench:scan [-- --rounds 5]
 *
 * Prints a table and, as the last line, JSON with µs per request for 1 KB, 4 KB, 16 KB and
 * 100 KB prompts, µs per KB at each size (flat means linear), per-scanner costs at 4 KB,
 * and the time for 1 MB adversarial inputs (which must stay linear too).
 */
import { classify } from "../src/firewall/detector/index";
import { extractTexts } from "../src/firewall/extract";
import { decodePayloads, findSmuggling } from "../src/firewall/normalize/index";
import { detectPii } from "../src/firewall/pii/index";
import { FirewallPolicySchema } from "../src/firewall/policy";
import { classifierDecisions, entityDecisions, scanSlots } from "../src/firewall/scan";
import { detectSecrets } from "../src/firewall/secrets/index";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] ?? 5) || 5;

/** Ordinary prose with the odd identifier in it, as support and back-office prompts look. */
const PARAGRAPHS = [
  "Hi team, the customer Maria Lopez wrote in again about the failed transfer on her account. She says the payment of 240 EUR left on Monday but the beneficiary has not received it. Could you check the status and draft a polite reply?",
  "Summarise the following meeting notes in five bullet points. We agreed to move the release to the second week of March, Jonas will own the migration plan, and the budget review is postponed until the auditors have finished.",
  "Please reply to john.smith@example.com and confirm the appointment for Thursday at 10:30. If he cannot make it, offer Friday morning instead. His phone number is +44 20 7946 0958 in case email does not work.",
  "Write a short Python function that parses an ISO 8601 date string and returns the weekday. Handle invalid input by raising a ValueError with a helpful message, and include two doctest examples.",
  "Our quarterly report shows revenue of 4.2 million with a margin of 18 percent. Explain in plain language what drove the change compared with last quarter, and list three risks for the next one.",
  "Translate this paragraph into German, keeping the tone friendly but professional: we are happy to announce that our new mobile app is available today for all customers in the European Union.",
  "The card ending 4242 was declined twice yesterday. The merchant reference is ORD-2026-118734. What are the usual reasons for a decline like this and what should the customer try first?",
  "Compare the two loan offers below and tell me which one costs less over five years. Offer A has a 4.9 percent fixed rate with no fees; offer B has 4.5 percent but a 1 percent arrangement fee.",
];

function prose(bytes: number): string {
  let s = "";
  for (let i = 0; s.length < bytes; i++) s += `${PARAGRAPHS[i % PARAGRAPHS.length]}\n\n`;
  return s.slice(0, bytes);
}

const policy = FirewallPolicySchema.parse({});

function firewallOnce(body: Record<string, unknown>): number {
  const extraction = extractTexts(body);
  const scans = scanSlots(extraction.texts, policy);
  let injection = 0;
  let jailbreak = 0;
  const types = new Set<string>();
  for (const s of scans) {
    injection = Math.max(injection, s.scores.injection);
    jailbreak = Math.max(jailbreak, s.scores.jailbreak);
    for (const e of s.entities) types.add(e.type);
  }
  return classifierDecisions({ injection, jailbreak }, policy).length + entityDecisions(types, policy).length;
}

function measure(fn: () => unknown, targetMs = 300): number {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 100) {
    fn();
    n++;
  }
  const perCall: number[] = [];
  const iterations = Math.max(1, Math.ceil((n / 100) * (targetMs / rounds)));
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    perCall.push(Number(process.hrtime.bigint() - t) / 1000 / iterations);
  }
  perCall.sort((a, b) => a - b);
  return Math.round((perCall[Math.floor(perCall.length / 2)] as number) * 10) / 10;
}

const chat = (text: string) => ({ model: "m", messages: [{ role: "system", content: "You are a helpful assistant for a bank's support team." }, { role: "user", content: text }] });

const sizes = { "1KB": 1024, "4KB": 4096, "16KB": 16_384, "100KB": 102_400 } as const;
// Warm every size up first: otherwise the first size measured also pays for the JIT's
// tiering of the whole firewall (1 KB read about twice its steady cost).
{
  const bodies = Object.values(sizes).map((bytes) => chat(prose(bytes)));
  const t0 = performance.now();
  while (performance.now() - t0 < 500) for (const body of bodies) firewallOnce(body);
}
const perRequest: Record<string, number> = {};
const perKb: Record<string, number> = {};
for (const [name, bytes] of Object.entries(sizes)) {
  const body = chat(prose(bytes));
  perRequest[name] = measure(() => firewallOnce(body));
  perKb[name] = Math.round((perRequest[name]! / (bytes / 1024)) * 10) / 10;
}

const four = prose(4096);
const components: Record<string, number> = {
  extract: measure(() => extractTexts(chat(four))),
  smuggling: measure(() => findSmuggling(four)),
  pii: measure(() => detectPii(four)),
  secrets: measure(() => detectSecrets(four)),
  decode: measure(() => decodePayloads(four)),
  classify: measure(() => classify(four)),
};

const MB = 1 << 20;
const adversarial: Record<string, string> = {
  digits: "4".repeat(MB),
  "digits+spaces": "4111 ".repeat(MB / 5),
  "at-signs": "a@".repeat(MB / 2),
  base64: "QUJD".repeat(MB / 4),
  "zero-width": "a\u200b".repeat(MB / 2),
  "tag-chars": "\u{E0041}".repeat(MB / 2),
  "capitalised-words": "John Smith ".repeat(MB / 11),
  "sk-prefixes": "sk-".repeat(MB / 3),
};
const adversarialMs: Record<string, number> = {};
for (const [name, text] of Object.entries(adversarial)) {
  const body = chat(text);
  const t = performance.now();
  firewallOnce(body);
  adversarialMs[name] = Math.round(performance.now() - t);
}

console.log("firewall CPU per request (µs), every scanner on:");
for (const name of Object.keys(sizes)) console.log(`  ${name.padEnd(6)} ${String(perRequest[name]).padStart(8)} µs   ${perKb[name]} µs/KB`);
console.log("scanners on 4 KB (µs):", components);
console.log("1 MB adversarial inputs (ms):", adversarialMs);
console.log(JSON.stringify({ per_request_us: perRequest, per_kb_us: perKb, components_4kb_us: components, adversarial_1mb_ms: adversarialMs, target_4kb_us: 150, target_100kb_us: 3000 }));
