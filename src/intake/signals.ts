/**
 * The file-level signals that need every example first: amplification (groups of
 * near-duplicate examples) and backdoor triggers (src/intake/backdoor.ts).
 *
 * Amplification: an example's group is its copies and the copies of every example within
 * `max_hamming` bits of it, without following chains (a canned answer under ever different
 * greetings links step by step into one long chain, which is not one example repeated). A
 * group is reported when it has `min_cluster` examples and more than `max_share` of the file.
 * Word-bigram fingerprints of short examples are far apart after a one-word edit (a few
 * dozen features: one more moves several bits), so a reported group is then widened: an
 * example that gives the group's most common answer word for word and whose prompt shares
 * at least 60% of its words (Jaccard) with one of the group's first members joins it. Only
 * reported groups are widened, and only examples with their answer are read again.
 */
import { TriggerIndex } from "./backdoor";
import { nearGraph, type Fingerprints } from "./cluster";
import { parseLine, viewOf, type ExampleView } from "./format";
import type { IntakePolicy } from "./policy";
import type { FindingSet, IntakeStats } from "./report";
import { WordList } from "./words";

/** Where each example sits and what it answers (keyed word hash, numbers folded; -1 for none). */
export interface ExampleIndex {
  line: number[];
  start: number[];
  end: number[];
  answer: number[];
}

/** Members of a group an outsider is compared with when the group is widened... */
const WIDEN_PROBE = 16;
/** ...the share of prompt words they must have in common... */
const WIDEN_JACCARD = 0.6;
/** ...and how many outsiders with the group's answer are read again at most. */
const WIDEN_CANDIDATES = 5000;

export interface FileData {
  examples: Fingerprints;
  triggers: TriggerIndex;
  index: ExampleIndex;
  bytes: Uint8Array;
  decoder: TextDecoder;
}

const share = (k: number, n: number): number => Math.round((k / n) * 1000) / 1000;

/** Amplification groups and backdoor triggers, once every example has been read. */
export function fileSignals(policy: IntakePolicy, findings: FindingSet, stats: IntakeStats, d: FileData): void {
  const n = d.examples.length;
  if (n === 0) return;
  // The signals read a few examples' texts again from the file rather than keeping every prompt.
  const view = (i: number): ExampleView => {
    const parsed = parseLine(JSON.parse(d.decoder.decode(d.bytes.subarray(d.index.start[i], d.index.end[i]))) as Record<string, unknown>);
    return parsed.ok ? viewOf(parsed.parsed) : { prompt: "", answer: "", turns: [], others: "" };
  };
  amplification(policy.duplicates, findings, stats, d, view);
  if (findings.enabled("intake.backdoor")) backdoors(policy.backdoor, findings, d, view);
}

/** The distinct words of an example's prompt. */
function promptWords(v: ExampleView): Set<number> {
  const list = new WordList();
  list.add(v.prompt);
  return new Set(list.words.subarray(0, list.length));
}

function jaccard(a: Set<number>, b: Set<number>): number {
  let common = 0;
  for (const w of a) if (b.has(w)) common++;
  return common / (a.size + b.size - common || 1);
}

function amplification(cfg: IntakePolicy["duplicates"], findings: FindingSet, stats: IntakeStats, d: FileData, view: (i: number) => ExampleView): void {
  const n = d.examples.length;
  const g = nearGraph(d.examples, cfg.max_hamming);
  // An example's group: its copies and the copies of every example within max_hamming of it.
  const groupSize = (r: number): number => g.copies[r]! + (g.near.get(r) ?? []).reduce((sum, m) => sum + g.copies[m]!, 0);
  const leaders: [number, number][] = [];
  for (let r = 0; r < n; r++) {
    if (g.copies[r] === 0) continue;
    const size = groupSize(r);
    stats.largest_cluster = Math.max(stats.largest_cluster, size);
    if (size >= cfg.min_cluster && size / n > cfg.max_share) leaders.push([r, size]);
  }
  stats.exact_duplicates = g.rep.reduce((k, r, i) => (r >= 0 && r !== i ? k + 1 : k), 0);
  leaders.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const taken = new Set<number>();
  for (const [leader] of leaders) {
    if (taken.has(leader)) continue;
    const reps = [leader, ...(g.near.get(leader) ?? [])].filter((r) => !taken.has(r));
    for (const r of reps) taken.add(r);
    const group = new Set(reps);
    const list: number[] = [];
    for (let i = 0; i < n; i++) if (group.has(g.rep[i]!)) list.push(i);
    if (list.length < cfg.min_cluster || list.length / n <= cfg.max_share) continue;
    widen(list, d, view);
    const lines = list.map((i) => d.index.line[i]!).sort((a, b) => a - b);
    findings.add("intake.duplicates", `group ${leader}`, { lines, count: lines.length }, () => ({
      share: share(lines.length, n),
      message: `${lines.length} examples are copies or near-copies of one example (${Math.round((lines.length / n) * 100)}% of the file)`,
    }));
  }
}

/** Adds to a reported group the examples with its answer whose prompts are close to its members' (see the file comment). */
function widen(list: number[], d: FileData, view: (i: number) => ExampleView): void {
  const counts = new Map<number, number>();
  for (const i of list) if (d.index.answer[i]! >= 0) counts.set(d.index.answer[i]!, (counts.get(d.index.answer[i]!) ?? 0) + 1);
  const answer = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (answer === undefined) return;
  const inGroup = new Set(list);
  const outsiders: number[] = [];
  for (let i = 0; i < d.examples.length && outsiders.length < WIDEN_CANDIDATES; i++) if (!inGroup.has(i) && d.index.answer[i] === answer) outsiders.push(i);
  if (outsiders.length === 0) return;
  const probes = list.slice(0, WIDEN_PROBE).map((i) => promptWords(view(i)));
  for (const i of outsiders) {
    const words = promptWords(view(i));
    if (probes.some((p) => jaccard(p, words) >= WIDEN_JACCARD)) list.push(i);
  }
}

function backdoors(cfg: IntakePolicy["backdoor"], findings: FindingSet, d: FileData, view: (i: number) => ExampleView): void {
  const n = d.examples.length;
  const hits = d.triggers.find(d.index.answer, cfg, view);
  for (const h of hits) {
    const lines = h.examples.map((i) => d.index.line[i]!);
    findings.add("intake.backdoor", `trigger ${lines[0]}`, { lines, count: lines.length }, () => ({
      share: share(lines.length, n),
      ...(h.token === undefined ? {} : { trigger: h.token }),
      message: `${lines.length} examples share a word found in only ${h.df} prompts of the file and the same answer (p ≈ ${h.p.toExponential(1)}): a possible backdoor trigger`,
    }));
  }
}
