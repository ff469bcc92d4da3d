/**
 * The intake report and how findings accumulate into it. A report is downloadable by the
 * uploader and the admin, so nothing in it is text from the file beyond what a finding
 * states it shows (a backdoor's trigger word, after `shownToken` vetted it): entity types,
 * detector categories, line numbers, counts and distances only.
 *
 * Findings of one kind are merged (every e-mail address of the file is one finding with its
 * lines), so a report stays small whatever the file holds; lines are listed up to
 * `MAX_LINES_LISTED`, `count` says how many there were.
 */
import { VERDICT_ORDER, type IntakeAction, type IntakePolicy, type IntakeRule, type IntakeVerdict } from "./policy";
import type { IntakeHistory } from "./drift";

export const MAX_LINES_LISTED = 100;
/** Distinct findings per rule before the rest are merged into one "more" finding. */
export const MAX_FINDINGS_PER_RULE = 50;

export type Severity = "high" | "medium" | "low";

export interface IntakeFinding {
  rule: IntakeRule;
  /** What the policy makes of it; in shadow mode, what it would do. */
  action: Exclude<IntakeAction, "off">;
  severity: Severity;
  message: string;
  /** 1-based line, when the finding is about one line. */
  line?: number;
  /** 1-based lines, ascending, at most `MAX_LINES_LISTED`, when about several. */
  lines?: number[];
  /** Occurrences (texts, lines or examples, as the message says). */
  count?: number;
  /** `intake.pii` / `intake.secret`: the entity type. */
  entity?: string;
  /** `intake.injection`: `injection` or `jailbreak`, and the highest score. */
  category?: string;
  score?: number;
  /** `intake.smuggling`: kinds of characters found. */
  kinds?: string[];
  /** Roles of the texts the finding was made in. */
  roles?: string[];
  /** Share of the file's examples (duplicates, backdoor). */
  share?: number;
  /** `intake.backdoor`: the trigger word, when it is safe to show. */
  trigger?: string;
  /** `intake.policy_contradiction`: the operator's rule id and which half of it failed. */
  answer_rule?: string;
  violation?: "forbid" | "require";
  /** `intake.drift`: Jensen-Shannon divergence per distribution. */
  distances?: Record<string, number>;
}

export interface IntakeStats {
  bytes: number;
  lines: number;
  examples: number;
  format: "chat" | "preference" | null;
  blank_lines: number;
  invalid_lines: number;
  messages: number;
  /** Trained assistant answers. */
  answers: number;
  texts_scanned: number;
  chars_scanned: number;
  /** Texts the classifier read (a system prompt every example repeats counts once). */
  texts_classified: number;
  images: number;
  /** Examples whose fingerprint repeats an earlier one's: the same words in the same order. */
  exact_duplicates: number;
  /** Largest near-duplicate group (an example, its copies and those within `max_hamming` bits), in examples. */
  largest_cluster: number;
}

export interface IntakeReport {
  /** `accept` in shadow mode whatever was found; see `would_verdict`. */
  verdict: IntakeVerdict;
  mode: IntakePolicy["mode"];
  /** Shadow mode: the verdict enforce mode would have given. */
  would_verdict?: IntakeVerdict;
  findings: IntakeFinding[];
  stats: IntakeStats;
  /** The client's history with this file merged in: store it only if the file is forwarded. */
  summary: IntakeHistory;
  /**
   * With verdict `redact` only: the file with PII and secrets replaced by typed
   * placeholders (`[EMAIL_1]`), what the caller forwards. Not part of the JSON report
   * (`reportJson` leaves it out).
   */
  redacted?: Uint8Array;
}

const SEVERITY: Readonly<Record<IntakeRule, Severity>> = {
  "intake.caps": "high",
  "intake.schema": "high",
  "intake.pii": "medium",
  "intake.secret": "high",
  "intake.injection": "high",
  "intake.smuggling": "medium",
  "intake.duplicates": "medium",
  "intake.backdoor": "high",
  "intake.policy_contradiction": "high",
  "intake.drift": "low",
};

/** What a finding says besides its place; `severity` defaults to the rule's. */
type Detail = Omit<IntakeFinding, "rule" | "action" | "severity" | "line" | "lines" | "count"> & { severity?: Severity };

interface Pending {
  finding: IntakeFinding;
  lines: number[];
  count: number;
  roles: Set<string>;
  score: number;
}

/** Accumulates findings by (rule, key), resolving each rule's action from the policy. */
export class FindingSet {
  private readonly byKey = new Map<string, Pending>();
  private readonly perRule = new Map<IntakeRule, number>();

  constructor(private readonly policy: IntakePolicy) {}

  /** Whether findings of `rule` are recorded at all (its action is not `off`). */
  enabled(rule: IntakeRule): boolean {
    return this.policy.actions[rule] !== "off";
  }

  /**
   * Records one occurrence. `key` merges occurrences into one finding; `detail` is read
   * only for the first. `action` overrides the rule's (per entity type); the finding keeps
   * the highest `score`.
   */
  add(rule: IntakeRule, key: string, at: { line?: number; lines?: readonly number[]; count?: number; role?: string; action?: IntakeAction; score?: number }, detail: () => Detail): void {
    const action = at.action ?? this.policy.actions[rule];
    if (action === "off") return;
    let k = `${rule}\u0000${key}`;
    let p = this.byKey.get(k);
    if (p === undefined) {
      const n = this.perRule.get(rule) ?? 0;
      if (n >= MAX_FINDINGS_PER_RULE) {
        // Merged by action, so that no more severe action is hidden behind a milder one.
        k = `${rule}\u0000\u0000more\u0000${action}`;
        p = this.byKey.get(k);
        p ??= this.open(k, rule, action, { message: `further ${rule} findings, merged` });
      } else {
        this.perRule.set(rule, n + 1);
        p = this.open(k, rule, action, detail());
      }
    }
    // Occurrences arrive in line order: the first lines are kept, the rest only counted.
    for (const l of at.lines ?? (at.line === undefined ? [] : [at.line])) if (p.lines.at(-1) !== l && p.lines.length < MAX_LINES_LISTED) p.lines.push(l);
    p.count += at.count ?? 1;
    if (at.role !== undefined) p.roles.add(at.role);
    if (at.score !== undefined) p.score = Math.max(p.score, at.score);
  }

  private open(k: string, rule: IntakeRule, action: Exclude<IntakeAction, "off">, detail: Detail): Pending {
    const p: Pending = { finding: { rule, action, severity: SEVERITY[rule], ...detail }, lines: [], count: 0, roles: new Set(), score: -1 };
    this.byKey.set(k, p);
    return p;
  }

  /** Findings, most severe action first, then by rule and first line. */
  list(): IntakeFinding[] {
    const out: IntakeFinding[] = [];
    for (const p of this.byKey.values()) {
      const f = p.finding;
      const lines = p.lines.sort((a, b) => a - b);
      if (lines.length === 1 && p.count <= 1) f.line = lines[0];
      else if (lines.length > 0) f.lines = lines;
      if (p.count > 1 || lines.length > 1) f.count = p.count;
      if (p.roles.size > 0) f.roles = [...p.roles].sort();
      if (p.score >= 0) f.score = Math.round(p.score * 1000) / 1000;
      out.push(f);
    }
    const rank = (f: IntakeFinding): number => VERDICT_ORDER.indexOf(f.action);
    return out.sort((a, b) => rank(b) - rank(a) || a.rule.localeCompare(b.rule) || (a.line ?? a.lines?.[0] ?? 0) - (b.line ?? b.lines?.[0] ?? 0));
  }
}

/** The most severe action among the findings. */
export function verdictOf(findings: readonly IntakeFinding[]): IntakeVerdict {
  let v = 0;
  for (const f of findings) v = Math.max(v, VERDICT_ORDER.indexOf(f.action));
  return VERDICT_ORDER[v] as IntakeVerdict;
}

/**
 * The report as JSON for the uploader and the admin: without the redacted bytes (the
 * caller stores or forwards those) and without the history summary (the caller's state).
 *
 * @example JSON.parse(reportJson(report)).verdict // "accept"
 */
export function reportJson(report: IntakeReport): string {
  const { redacted: _redacted, summary: _summary, ...rest } = report;
  return JSON.stringify(rest);
}
