/**
 * The per-text half of the intake scan: every string of a valid example through the input
 * firewall's own detectors (src/firewall/scan.ts `scanText`: smuggling characters, PII,
 * secrets, and for the roles the policy names, the injection and jailbreak classifier),
 * turned into findings and redaction spans.
 */
import { DETECTOR_THRESHOLDS } from "../firewall/detector/index";
import { extractTexts, type Extraction, type PathSegment, type TextRole } from "../firewall/extract";
import { isSecretType } from "../firewall/policy";
import { bandOf, CATEGORIES, scanText, toOriginal, type Category, type TextScan, type Thresholds } from "../firewall/scan";
import type { LineFormat } from "./format";
import type { IntakePolicy } from "./policy";
import type { RedactionSpan } from "./redact";
import type { FindingSet, IntakeStats } from "./report";

/** Roles whose texts repeat across a file (one system prompt, one tool list): always classified, once. */
const REPEATED_ROLES: ReadonlySet<TextRole> = new Set(["system", "developer", "definition"]);
/**
 * Scans kept by text. Besides system prompts, training files repeat short texts word for
 * word ("Thanks, that helps.", canned policy answers): a hit skips every detector.
 */
const CACHE_MAX = 4096;
/** Other roles' texts are cached up to this length; all cached texts together up to `CACHE_CHARS`. */
const CACHE_TEXT_MAX = 512;
const CACHE_CHARS = 1 << 22;

/**
 * Every text of a line with its path in the raw object. A DPO line is walked in two parts so
 * that `input.tools` counts as tool definitions, as top-level `tools` does in a chat line.
 */
export function textsOf(format: LineFormat, obj: Record<string, unknown>): Extraction {
  if (format === "chat") return extractTexts(obj);
  const input = extractTexts(obj.input as Record<string, unknown>);
  for (const t of input.texts) t.path.unshift("input");
  const outputs = extractTexts({ preferred_output: obj.preferred_output, non_preferred_output: obj.non_preferred_output });
  return { texts: [...input.texts, ...outputs.texts], images: [...input.images, ...outputs.images], chars: input.chars + outputs.chars };
}

/** Scans texts under one policy, with a small cache for the texts every example repeats. */
export class TextScanner {
  private readonly classified = new Map<string, TextScan>();
  private readonly plain = new Map<string, TextScan>();
  private cachedChars = 0;
  private readonly classifyRoles: ReadonlySet<TextRole>;
  private readonly at: Record<Category, Thresholds>;

  constructor(
    private readonly policy: IntakePolicy,
    private readonly findings: FindingSet,
    private readonly stats: IntakeStats,
  ) {
    const d = policy.detectors;
    this.classifyRoles = new Set(d.classify_roles);
    const band = (c: Category) => {
      const flag = d[c].flag_at ?? DETECTOR_THRESHOLDS[c].flag;
      return { flag, block: Math.max(flag, d[c].block_at ?? DETECTOR_THRESHOLDS[c].block) };
    };
    this.at = { injection: band("injection"), jailbreak: band("jailbreak") };
  }

  /** Whether the classifier reads a text of `role`; texts every example repeats are read whatever the sample (they are cached). */
  private classifies(role: TextRole, sampled: boolean): boolean {
    return (sampled || REPEATED_ROLES.has(role)) && this.classifyRoles.has(role) && this.findings.enabled("intake.injection");
  }

  private scan(text: string, role: TextRole, classify: boolean): TextScan {
    const cacheable = REPEATED_ROLES.has(role) || text.length <= CACHE_TEXT_MAX;
    // A classified scan serves an unclassified request too; not the other way round.
    const known = cacheable ? (this.classified.get(text) ?? (classify ? undefined : this.plain.get(text))) : undefined;
    if (known !== undefined) return known;
    const decode = this.policy.detectors.decode_payloads;
    const max = this.policy.detectors.max_classify_chars;
    let scan: TextScan;
    if (classify && text.length > max) {
      // Long texts: entities and smuggling over all of it, the classifier over its two ends
      // (where instructions to a model sit, and what bounds the classifier's cost).
      scan = scanText(text, { classify: false, decode });
      const ends = scanText(`${text.slice(0, max / 2)}\n${text.slice(-max / 2)}`, { classify: true, decode, entities: false });
      scan = { ...scan, scores: ends.scores, classified: true, decodedPayloads: ends.decodedPayloads };
    } else scan = scanText(text, { classify, decode });
    if (classify) this.stats.texts_classified++;
    if (cacheable) {
      if (this.classified.size + this.plain.size >= CACHE_MAX || this.cachedChars + text.length > CACHE_CHARS) {
        this.classified.clear();
        this.plain.clear();
        this.cachedChars = 0;
      }
      (classify ? this.classified : this.plain).set(text, scan);
      this.cachedChars += text.length;
    }
    return scan;
  }

  /**
   * Scans every text of a line; returns the spans to redact should the verdict be `redact`.
   * `sampled`: whether the classifier reads this example's texts (`classify_share`).
   */
  scanLine(line: number, extraction: Extraction, sampled: boolean): RedactionSpan[] {
    const spans: RedactionSpan[] = [];
    const { policy, findings, stats } = this;
    stats.images += extraction.images.length;
    for (const slot of extraction.texts) {
      const classify = this.classifies(slot.role, sampled);
      const scan = this.scan(slot.text, slot.role, classify);
      stats.texts_scanned++;
      stats.chars_scanned += slot.text.length;
      let redactions: RedactionSpan["entities"] | undefined;
      for (const e of scan.entities) {
        const rule = isSecretType(e.type) ? "intake.secret" : "intake.pii";
        let action = policy.detectors.entity_types[e.type] ?? policy.actions[rule];
        // A key of a free-form schema cannot be rewritten: what would be redacted goes to review.
        if (action === "redact" && !slot.writable) action = "quarantine";
        if (action === "redact") (redactions ??= []).push({ ...e, ...toOriginal(scan, e.start, e.end) });
        findings.add(rule, `${e.type}\u0000${action}`, { line, role: slot.role, action }, () => ({
          entity: e.type,
          message: `${rule === "intake.secret" ? "secret" : "personal data"} of type ${e.type}`,
        }));
      }
      if (redactions !== undefined) spans.push({ path: slot.path as PathSegment[], entities: redactions });
      for (const kind of scan.smugglingKinds) {
        findings.add("intake.smuggling", kind, { line, role: slot.role }, () => ({ kinds: [kind], message: `invisible or smuggling characters (${kind})` }));
      }
      // A cached scan may have been classified for another role: only this text's role counts.
      if (classify) {
        for (const category of CATEGORIES) {
          const score = scan.scores[category];
          const band = bandOf(score, this.at[category]);
          if (band === "low") continue;
          const high = band === "high";
          const action = high ? policy.actions["intake.injection"] : policy.detectors.uncertain;
          findings.add("intake.injection", `${category}\u0000${band}`, { line, role: slot.role, score, action }, () => ({
            category,
            severity: high ? "high" : "medium",
            message: high ? `text the ${category} classifier scores as an attack` : `text the ${category} classifier is unsure about (between its flag and block thresholds)`,
          }));
        }
      }
    }
    return spans;
  }
}
