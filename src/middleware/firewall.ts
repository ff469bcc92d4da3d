/**
 * Stage 8: the input firewall. Reads every text the model will read (src/firewall/extract.ts),
 * scans it (src/firewall/scan.ts: smuggling characters, PII and secrets, injection and
 * jailbreak scores, decoded payloads), asks the tier-2 classifier about the uncertain band
 * when one is configured, and applies the plan's `firewall` rules: block (400
 * `prompt_blocked`, the same generic answer whichever rule fired), redact, strip, flag or
 * shadow. Scores, counts and rule ids go to analytics; text never does.
 *
 * It runs after admission, so a blocked request still counts against the client's request
 * limits (an attacker probing the firewall pays for each probe), while its token
 * reservation is released because the provider is never reached.
 */
import type { Context, MiddlewareHandler } from "hono";
import { GatewayError } from "../errors";
import type { AppEnv } from "../env";
import type { Entity } from "../firewall/entity";
import { ExtractionLimitError, extractTexts, MalformedTextError, paramOf, setAtPath, type Extraction } from "../firewall/extract";
import { checkImageUrl } from "../firewall/images";
import { entityAction, type FirewallPolicy } from "../firewall/policy";
import { redact, RedactionVault } from "../firewall/redact";
import {
  classifierDecisions,
  entityDecisions,
  scanSlots,
  smugglingDecision,
  toOriginal,
  type Decision,
  type TextScan,
} from "../firewall/scan";
import { escalateUncertain } from "../firewall/escalation";
import { isApiRoute } from "../routes";
import { planFor } from "../rules/schema";

/** Tells the client its request was changed or flagged; never which rule fired. */
export const FIREWALL_HEADER = "x-aigis-firewall";

/** Most text parts one request may carry: beyond it the scan would be the attack. */
export const MAX_TEXT_PARTS = 10_000;

/**
 * @example app.use("/v1/*", firewall()) // after admission()
 */
export function firewall(): MiddlewareHandler<AppEnv> {
  return async function firewallStage(c, next) {
    if (!isApiRoute(c.get("route"))) return next();
    const policy = planFor(c.get("rules").doc, c.get("identity").plan).firewall;
    const log = c.get("log");

    let extraction: Extraction;
    try {
      extraction = extractTexts(c.get("body"), MAX_TEXT_PARTS);
    } catch (err) {
      if (err instanceof MalformedTextError) throw new GatewayError("invalid_unicode", { param: paramOf(err.path), detail: "lone surrogate" });
      if (err instanceof ExtractionLimitError) throw new GatewayError("too_many_parts", { param: paramOf(err.path), detail: `more than ${MAX_TEXT_PARTS} text parts` });
      throw err;
    }

    const decisions: Decision[] = [];
    checkImages(extraction, policy, decisions);

    // System and developer texts repeat on every request of an application: their scans are
    // cached per client (src/firewall/scan.ts).
    const scans = scanSlots(extraction.texts, policy, { cacheScope: c.get("identity").clientId });
    const scores = { injection: 0, jailbreak: 0 };
    let smuggled = 0;
    let entityCount = 0;
    let decoded = 0;
    const typeCounts = new Map<string, number>();
    for (const s of scans) {
      scores.injection = Math.max(scores.injection, s.scores.injection);
      scores.jailbreak = Math.max(scores.jailbreak, s.scores.jailbreak);
      smuggled += s.smuggled;
      decoded += s.decodedPayloads;
      entityCount += s.entities.length;
      for (const e of s.entities) typeCounts.set(e.type, (typeCounts.get(e.type) ?? 0) + 1);
    }

    // Tier 2 only for the uncertain band, and only when the operator configured one.
    const tier2 = await escalateUncertain(c, policy, scans, scores);
    log.firewall = {
      injection: tier2.scores.injection,
      jailbreak: tier2.scores.jailbreak,
      entities: entityCount,
      entityTypes: [...typeCounts].map(([t, n]) => `${t}:${n}`).join(","),
      smuggled,
      decoded,
      chars: extraction.chars,
      escalated: tier2.escalated,
      tier2: tier2.outcome,
    };

    decisions.push(...classifierDecisions(tier2.scores, policy));
    if (smuggled > 0) {
      const d = smugglingDecision(policy);
      if (d !== undefined) decisions.push(d);
    }
    decisions.push(...entityDecisions(typeCounts.keys(), policy));

    for (const d of decisions) log.ruleIds.push(d.rule);
    if (decisions.some((d) => d.action === "block")) {
      log.decision = "block";
      throw new GatewayError("prompt_blocked", { detail: decisions.filter((d) => d.action === "block").map((d) => d.rule).join(",") });
    }

    const vault = new RedactionVault();
    const stripping = decisions.some((d) => d.action === "strip");
    const redacting = decisions.some((d) => d.action === "redact");
    if (stripping || redacting) rewrite(c, policy, extraction, scans, stripping, vault);
    c.set("redactions", vault);

    const visible = [...new Set(decisions.map((d) => d.action).filter((a) => a !== "shadow" && a !== "block"))];
    // Stripped smuggling characters are a flag too: someone tried to hide text.
    if (visible.includes("flag") || visible.includes("strip")) log.decision = "flag";
    else if (visible.length > 0) log.decision = log.decision === "allow" ? "redact" : log.decision;
    else if (decisions.length > 0 && log.decision === "allow") log.decision = "shadow";

    await next();
    if (visible.length > 0) c.res.headers.set(FIREWALL_HEADER, visible.sort().join(", "));
  };
}

function checkImages(extraction: Extraction, policy: FirewallPolicy, decisions: Decision[]): void {
  if (policy.images.action === "off") return;
  for (const img of extraction.images) {
    const verdict = checkImageUrl(img.url, policy.images);
    if (verdict.ok) continue;
    const rule = `firewall.image.${verdict.reason}`;
    if (policy.images.action === "shadow" || policy.mode === "shadow") {
      decisions.push({ rule: `shadow.${rule}`, action: "shadow", would: "block" });
      continue;
    }
    throw new GatewayError("image_url_not_allowed", { param: paramOf(img.path), detail: rule });
  }
}

/**
 * Writes the stripped and redacted texts back into the body that will be forwarded.
 * Entities were found on the text without smuggling characters; when those are not
 * stripped, their spans are mapped back onto the original text.
 */
function rewrite(c: Context<AppEnv>, policy: FirewallPolicy, extraction: Extraction, scans: TextScan[], stripping: boolean, vault: RedactionVault): void {
  const body = c.get("body");
  const enforce = policy.mode === "enforce";
  extraction.texts.forEach((slot, i) => {
    const scan = scans[i] as TextScan;
    if (!slot.writable) return;
    const toRedact: Entity[] = enforce ? scan.entities.filter((e) => entityAction(policy, e.type) === "redact") : [];
    const strip = stripping && scan.smuggled > 0;
    if (toRedact.length === 0 && !strip) return;
    let next: string;
    if (strip) next = redact(scan.cleaned, toRedact, vault);
    else next = redact(slot.text, toRedact.map((e) => ({ ...e, ...toOriginal(scan, e.start, e.end) })), vault);
    setAtPath(body, slot.path, next);
  });
}
