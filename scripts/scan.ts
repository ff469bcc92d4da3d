/**
 * The prompt firewall from the command line, on the Worker's code path with the default
 * rules and tier 1 only: each input text is scanned as one user message.
 *
 *   npm run -s scan -- FILE.jsonl      (or - for standard input)
 *
 * Input lines: {"id", "text", ...}. Output: one JSON line per input line and nothing else:
 *   {"id", "injection", "jailbreak", "flagged", "entities": [{"type", "start", "end"}]}
 * Offsets are UTF-16 code units of the original text. A line that cannot be scanned gets
 * {"id", "error"} (the same codes as the gateway's 400s), so line counts always match.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { extractTexts, MalformedTextError } from "../src/firewall/extract";
import { FirewallPolicySchema } from "../src/firewall/policy";
import { flaggedBy, scanSlots, toOriginal } from "../src/firewall/scan";

const policy = FirewallPolicySchema.parse({});
const round = (x: number): number => Math.round(x * 1e4) / 1e4;

function scanLine(line: string): Record<string, unknown> {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    return { id: null, error: "invalid_json" };
  }
  const id = typeof row === "object" && row !== null && "id" in row ? (row as { id: unknown }).id : null;
  const text = typeof row === "object" && row !== null && "text" in row ? (row as { text: unknown }).text : undefined;
  if (typeof text !== "string") return { id, error: "missing_parameter" };
  if (text.length === 0) return { id, injection: 0, jailbreak: 0, flagged: false, entities: [] };
  let extraction;
  try {
    extraction = extractTexts({ model: "scan", messages: [{ role: "user", content: text }] });
  } catch (err) {
    if (err instanceof MalformedTextError) return { id, error: "invalid_unicode" };
    throw err;
  }
  const [scan] = scanSlots(extraction.texts, policy);
  if (scan === undefined) return { id, injection: 0, jailbreak: 0, flagged: false, entities: [] };
  const entities = scan.entities.map((e) => ({ type: e.type, ...toOriginal(scan, e.start, e.end) }));
  return { id, injection: round(scan.scores.injection), jailbreak: round(scan.scores.jailbreak), flagged: flaggedBy(scan.scores, policy), entities };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write("usage: npm run -s scan -- FILE.jsonl   (- reads standard input)\n");
    process.exit(2);
  }
  const input = file === "-" ? process.stdin : createReadStream(file);
  input.on("error", (err: Error) => {
    process.stderr.write(`scan: ${err.message}\n`);
    process.exit(1);
  });
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    process.stdout.write(`${JSON.stringify(scanLine(line))}\n`);
  }
}

await main();
