/**
 * The training-data intake scan (issue 10): one fine-tuning JSONL file in, one report out.
 * Pure and synchronous, with no I/O, no bindings and no clock, so the Worker's upload route,
 * the tests (in workerd) and the benchmark (in Node) run the same code. The caller reads the
 * upload, hashes it (crypto.subtle), keeps the client's `IntakeHistory` and acts on the verdict.
 *
 * One pass over the lines does everything per line: caps, UTF-8, JSON, the format's schema,
 * every text through the firewall's detectors, answer rules, and the per-example records the
 * file-level signals need (SimHash fingerprints, prompt words, answer distributions). The
 * file-level signals (amplification, backdoor, drift) run once at the end, reading the few
 * examples they need again from the bytes rather than keeping every text: beyond the file
 * itself, a 50 MB file scans within a 32 MB V8 old space.
 */
import { deriveKey } from "../extraction/simhash";
import { ExtractionLimitError, MalformedTextError } from "../firewall/extract";
import { AnswerRules } from "./answers";
import { TriggerIndex } from "./backdoor";
import { Fingerprints } from "./cluster";
import { AnswerProfile, driftOf, mergeHistory, type IntakeHistory } from "./drift";
import { formatOf, messagesOf, parseLine, viewOf, type LineFormat } from "./format";
import type { IntakePolicy } from "./policy";
import { redactFile, type LineRedaction } from "./redact";
import { FindingSet, verdictOf, type IntakeReport, type IntakeStats } from "./report";
import { fileSignals, type ExampleIndex } from "./signals";
import { TextScanner, textsOf } from "./texts";
import { mix32, WordList } from "./words";

export interface IntakeOptions {
  /**
   * Key of the SimHash fingerprints and answer hashes: the deployment's secret (the probe
   * key, `AIGIS_PROBE_KEY`), so that a stored summary says nothing comparable outside this
   * deployment. It must stay the same across a client's uploads for drift to mean anything.
   */
  fingerprintKey?: string | Uint8Array;
}

/** Without a key the hashes are unkeyed in effect: fine for one file, guessable in a stored summary. */
const DEFAULT_KEY = "aigis-intake";
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const isBlank = (bytes: Uint8Array, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b !== 32 && b !== 9 && b !== 13) return false;
  }
  return true;
};

/**
 * Scans a fine-tuning file. Synchronous: a 50 MB file costs about 2.5 s of CPU
 * (docs/training-data.md, "Cost"), inside a paid Workers plan's CPU limit.
 *
 * @example
 * const report = scanTrainingFile(bytes, IntakePolicySchema.parse({}), history, { fingerprintKey: env.AIGIS_PROBE_KEY });
 * if (report.verdict === "redact") forward(report.redacted);
 */
export function scanTrainingFile(bytes: Uint8Array, policy: IntakePolicy, history?: IntakeHistory, options: IntakeOptions = {}): IntakeReport {
  const key = options.fingerprintKey ?? DEFAULT_KEY;
  const findings = new FindingSet(policy);
  const stats: IntakeStats = {
    bytes: bytes.byteLength,
    lines: 0,
    examples: 0,
    format: null,
    blank_lines: 0,
    invalid_lines: 0,
    messages: 0,
    answers: 0,
    texts_scanned: 0,
    chars_scanned: 0,
    texts_classified: 0,
    images: 0,
    exact_duplicates: 0,
    largest_cluster: 0,
  };
  const caps = policy.caps;
  const texts = new TextScanner(policy, findings, stats);
  const rules = new AnswerRules(policy.answer_rules);
  const examples = new Fingerprints(key);
  const triggers = new TriggerIndex();
  const profile = new AnswerProfile(key);
  const words = new WordList();
  // Which examples the classifier reads: keyed, so an uploader cannot place texts it skips.
  const sampleKey = deriveKey(key).k2;
  const index: ExampleIndex = { line: [], start: [], end: [], answer: [] };
  const redactions: LineRedaction[] = [];
  let format: LineFormat | null = null;

  const schemaError = (line: number, what: string, message: string): void => {
    stats.invalid_lines++;
    findings.add("intake.schema", what, { line }, () => ({ message }));
  };

  const scanLine = (line: number, start: number, end: number): void => {
    if (isBlank(bytes, start, end)) {
      stats.blank_lines++;
      findings.add("intake.schema", "blank", { line }, () => ({ message: "blank line" }));
      return;
    }
    if (end - start > caps.max_line_bytes) {
      stats.invalid_lines++;
      findings.add("intake.caps", "line_bytes", { line }, () => ({ message: `line longer than ${caps.max_line_bytes} bytes (not read)` }));
      return;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(decoder.decode(bytes.subarray(start, end)));
    } catch (err) {
      // Neither error's message is shown: V8's JSON errors quote the text around the fault.
      if (err instanceof TypeError) schemaError(line, "utf8", "not valid UTF-8");
      else schemaError(line, "json", "not valid JSON");
      return;
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return schemaError(line, "object", "not a JSON object");
    const record = obj as Record<string, unknown>;
    const lineFormat = formatOf(record);
    format ??= lineFormat;
    if (lineFormat !== format) return schemaError(line, "mixed", `a ${lineFormat} example in a ${format} file (one fine-tuning method per file)`);
    const messages = messagesOf(record);
    if (Array.isArray(messages) && messages.length > caps.max_messages) {
      stats.invalid_lines++;
      findings.add("intake.caps", "messages", { line }, () => ({ message: `example with more than ${caps.max_messages} messages (not read)` }));
      return;
    }
    const parsed = parseLine(record);
    if (!parsed.ok) return schemaError(line, `line ${line}`, parsed.error);
    let extraction;
    try {
      extraction = textsOf(lineFormat, record);
    } catch (err) {
      if (err instanceof MalformedTextError) return schemaError(line, "surrogate", "a string with a lone surrogate, which UTF-8 cannot carry");
      if (err instanceof ExtractionLimitError) return schemaError(line, "texts", "too many strings in one example");
      throw err;
    }
    stats.examples++;
    stats.messages += Array.isArray(messages) ? messages.length : 0;
    const sampled = start < policy.detectors.classify_all_bytes || mix32(line ^ sampleKey) < policy.detectors.classify_share * 2 ** 32;
    const spans = texts.scanLine(line, extraction, sampled);
    if (spans.length > 0) redactions.push({ start, end, spans });

    // Each text's words are read once and serve every signal.
    const view = viewOf(parsed.parsed);
    words.clear();
    const [p0, p1] = words.add(view.prompt);
    const [a0, a1] = words.add(view.answer);
    const [, o1] = words.add(view.others);
    const e = examples.add(words.words, p0, o1);
    triggers.add(e, words.words, p0, p1);
    index.line.push(line);
    index.start.push(start);
    index.end.push(end);
    stats.answers += view.turns.length;
    index.answer.push(view.answer === "" ? -1 : profile.add(view.answer, words, a0, a1));
    for (const c of rules.check(view.turns)) {
      findings.add("intake.policy_contradiction", `${c.rule}\u0000${c.violation}`, { line }, () => ({
        answer_rule: c.rule,
        violation: c.violation,
        message: c.violation === "forbid" ? `trained answers containing a phrase answer rule "${c.rule}" forbids` : `trained answers lacking every phrase answer rule "${c.rule}" requires`,
      }));
    }
  };

  if (bytes.byteLength > caps.max_file_bytes) {
    findings.add("intake.caps", "file_bytes", {}, () => ({ message: `file larger than ${caps.max_file_bytes} bytes (not read)` }));
  } else {
    for (let start = 0, line = 1; start < bytes.byteLength; line++) {
      let next = bytes.indexOf(10, start);
      if (next < 0) next = bytes.byteLength;
      if (line > caps.max_lines) {
        findings.add("intake.caps", "lines", {}, () => ({ message: `more than ${caps.max_lines} lines (the rest not read)` }));
        break;
      }
      stats.lines = line;
      scanLine(line, start, next > start && bytes[next - 1] === 13 ? next - 1 : next);
      start = next + 1;
    }
  }
  stats.format = format;

  fileSignals(policy, findings, stats, { examples, triggers, index, bytes, decoder });
  const fileSummary = profile.summary();
  if (findings.enabled("intake.drift") && history !== undefined && history.examples >= policy.drift.min_history && profile.n >= policy.drift.min_examples) {
    const d = driftOf(history, fileSummary);
    const cfg = policy.drift;
    const over = [d.answers > cfg.max_answers && "answers", d.lengths > cfg.max_lengths && "lengths", d.words > cfg.max_words && "words"].filter((x): x is string => x !== false);
    if (over.length > 0) findings.add("intake.drift", "drift", { count: profile.n }, () => ({ distances: d, message: `answer distribution far from this client's earlier uploads (${over.join(", ")})` }));
  }

  const list = findings.list();
  const verdict = verdictOf(list);
  const report: IntakeReport = { verdict, mode: policy.mode, findings: list, stats, summary: mergeHistory(history, fileSummary, policy.drift) };
  if (policy.mode === "shadow") {
    report.verdict = "accept";
    report.would_verdict = verdict;
  } else if (verdict === "redact") report.redacted = redactFile(bytes, redactions);
  return report;
}
