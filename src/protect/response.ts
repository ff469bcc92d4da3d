/**
 * Applies response protection to what a provider sends back: every text the client will
 * read (message content, refusals, legacy completion text, Responses output text, tool-call
 * arguments) goes through the same chain of output scanners, on plain bodies and on SSE
 * events alike. Each text channel of a stream (choice 0's content, choice 0's second tool
 * call's arguments, Responses output item 2 part 0 ...) has its own guard, so holding back
 * one channel's tail never delays another's.
 *
 * Pure apart from the objects it is given: the forward stage owns fetching and streaming.
 */
import type { RequestLog } from "../analytics/record";
import { entityScanner } from "./entities";
import { linkScanner } from "./links";
import { effective, outputEntityAction, type OutputPolicy } from "./policy";
import { canaryScanner, overlapScanner } from "./prompt-leak";
import { restoreScanner } from "./restore";
import { protectText, StreamTextGuard } from "./stream-text";
import type { OutputFinding, OutputScanner, Release } from "./types";
import { isJsonObject as isObj, type JsonObject as Obj } from "../util/json";

export interface ProtectionSetup {
  policy: OutputPolicy;
  /** This request's placeholders -> originals, as the input firewall left them. */
  originals: ReadonlyMap<string, string>;
  /** The canary put into this request's system prompt, if any. */
  canary: string | undefined;
  /** The request's system / developer text ("" when it has none). */
  systemPrompt: string;
}

/** What a rewritten SSE event becomes: text to forward ("" drops it), or a block. */
export interface EventResult {
  out: string;
  blocked: boolean;
}

export interface EventRewriter {
  /** `json` is the parsed data of the event, undefined when it is not JSON. */
  rewrite(raw: string, event: string, json: unknown): EventResult;
  /** Before the stream's end marker: releases whatever channels still hold. */
  finish(): EventResult;
}


export class ResponseProtection {
  readonly findings: OutputFinding[] = [];
  blocked = false;

  constructor(private readonly setup: ProtectionSetup) {}

  /** The scanners for one channel, in the order the issue fixes: detect first, restore last. */
  private scanners(json: boolean): OutputScanner[] {
    const { policy, originals, canary, systemPrompt } = this.setup;
    const list: OutputScanner[] = [entityScanner({ action: (type) => effective(policy, outputEntityAction(policy, type)) })];
    if (policy.links.action !== "allow") list.push(linkScanner({ action: effective(policy, policy.links.action), allowedHosts: policy.links.allowed_hosts }));
    if (canary !== undefined) list.push(canaryScanner(canary, effective(policy, policy.canary.action)));
    if (policy.overlap.enabled && systemPrompt !== "") list.push(overlapScanner(systemPrompt, { minWords: policy.overlap.min_words, action: effective(policy, policy.overlap.action) }));
    if (policy.restore && originals.size > 0) list.push(restoreScanner(originals, { json }));
    return list;
  }

  newGuard(json: boolean): StreamTextGuard {
    return new StreamTextGuard({ scanners: this.scanners(json), maxHold: this.setup.policy.max_hold_chars });
  }

  /** Records a release's findings; returns its text. */
  take(r: Release): string {
    for (const f of r.findings) this.findings.push(f);
    if (r.blocked) this.blocked = true;
    return r.text;
  }

  /** Whether a text protected whole (`once`) came out different: a body nothing changed is sent as the provider wrote it. */
  changed = false;

  once(text: string, json: boolean): string {
    const out = this.take(protectText(text, this.scanners(json)));
    if (out !== text) this.changed = true;
    return out;
  }

  /**
   * Rewrites a plain (non-streamed) response body in place. Returns false when a `block`
   * fired: the caller withholds the response.
   */
  protectBody(body: unknown): boolean {
    if (!isObj(body)) return true;
    if (Array.isArray(body.choices)) {
      for (const ch of body.choices) {
        if (!isObj(ch)) continue;
        if (typeof ch.text === "string") ch.text = this.once(ch.text, false);
        const m = ch.message;
        if (!isObj(m)) continue;
        if (typeof m.content === "string") m.content = this.once(m.content, false);
        if (typeof m.refusal === "string") m.refusal = this.once(m.refusal, false);
        for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) this.protectArguments(isObj(call) ? call.function : undefined);
        this.protectArguments(m.function_call);
      }
    }
    if (Array.isArray(body.output)) body.output.forEach((item, k) => this.protectOutputItem(item, () => undefined, k));
    if (typeof body.output_text === "string") body.output_text = this.once(body.output_text, false);
    return !this.blocked;
  }

  private protectArguments(fn: unknown): void {
    if (isObj(fn) && typeof fn.arguments === "string") fn.arguments = this.once(fn.arguments, true);
  }

  /**
   * A Responses API output item; `streamed(key)` gives the text already streamed for a
   * channel (undefined: protect the item's own text).
   */
  protectOutputItem(item: unknown, streamed: (key: string) => string | undefined, outputIndex = -1): void {
    if (!isObj(item)) return;
    if (typeof item.arguments === "string") item.arguments = streamed(`f${outputIndex}`) ?? this.once(item.arguments, true);
    if (!Array.isArray(item.content)) return;
    item.content.forEach((part, k) => {
      if (!isObj(part)) return;
      if (typeof part.text === "string") part.text = streamed(`o${outputIndex}.${k}`) ?? this.once(part.text, false);
      if (typeof part.refusal === "string") part.refusal = streamed(`r${outputIndex}.${k}`) ?? this.once(part.refusal, false);
    });
  }

  /** A rewriter for one SSE stream of the given route. */
  rewriter(kind: "chat" | "completions" | "responses"): EventRewriter {
    return kind === "responses" ? new ResponsesRewriter(this) : new ChoicesRewriter(this, kind);
  }

  /** Findings into the request's analytics record: counts, types and rule ids, never text. */
  record(log: RequestLog): void {
    log.output = { findings: this.findings.length, summary: this.summary() };
    const rules = new Set<string>();
    for (const f of this.findings) {
      rules.add(f.action === "shadow" ? `shadow.output.${f.kind}` : `output.${f.kind}`);
      if (f.action === "block") log.decision = "block";
      else if (f.action === "flag" && (log.decision === "allow" || log.decision === "redact" || log.decision === "shadow")) log.decision = "flag";
      else if (f.action === "redact" && (log.decision === "allow" || log.decision === "shadow")) log.decision = "redact";
      else if (f.action === "shadow" && log.decision === "allow") log.decision = "shadow";
    }
    for (const r of rules) log.ruleIds.push(r);
  }

  /** Counts per finding, `TYPE:action` keys, for analytics. */
  summary(): string {
    const counts = new Map<string, number>();
    for (const f of this.findings) {
      const k = `${f.type}:${f.action}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts].map(([k, n]) => `${k}:${n}`).join(",");
  }
}

/** Text channels of one stream, with what each has sent so far. */
class Channels {
  private readonly guards = new Map<string, { guard: StreamTextGuard; sent: string; open: boolean }>();

  constructor(private readonly p: ResponseProtection) {}

  push(key: string, delta: string, json: boolean): string {
    let ch = this.guards.get(key);
    if (ch === undefined) {
      ch = { guard: this.p.newGuard(json), sent: "", open: true };
      this.guards.set(key, ch);
    }
    const text = this.p.take(ch.guard.push(delta));
    ch.sent += text;
    return text;
  }

  /** Ends a channel; returns what it still held (after the scanners). */
  flush(key: string): string {
    const ch = this.guards.get(key);
    if (ch === undefined || !ch.open) return "";
    ch.open = false;
    const text = this.p.take(ch.guard.flush());
    ch.sent += text;
    return text;
  }

  /** Everything a channel sent, after flushing it; undefined for a channel never seen. */
  final(key: string): string | undefined {
    if (!this.guards.has(key)) return undefined;
    this.flush(key);
    return this.guards.get(key)?.sent;
  }

  openKeys(prefix = ""): string[] {
    return [...this.guards].filter(([k, v]) => v.open && k.startsWith(prefix)).map(([k]) => k);
  }
}

/**
 * The event with one string field's value replaced in its raw text, or "" when that is not
 * certain to be exact: the field must appear exactly once, encoded as JSON.stringify would
 * (an unescaped `"key":"value"` can only be JSON structure, never inside a string). Most
 * stream events change only their delta's content (a held tail moves to the next event),
 * and re-encoding the whole event costs more than the check.
 */
function splice(raw: string, [key, old, value]: [string, string, string]): string {
  const needle = `"${key}":${jsonString(old)}`;
  const at = raw.indexOf(needle);
  if (at < 0 || raw.indexOf(needle, at + 1) >= 0) return "";
  return `${raw.slice(0, at)}"${key}":${jsonString(value)}${raw.slice(at + needle.length)}`;
}

/**
 * `JSON.stringify(s)` for a string, without the call for the common case: a stream delta is
 * a few plain characters, and this runs twice per rewritten event. Anything JSON escapes
 * (quote, backslash, control characters) or might (any surrogate: a lone one is escaped) goes
 * to JSON.stringify itself, so the result is always exactly its.
 */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

function sse(event: string, payload: unknown): string {
  return `${event === "" ? "" : `event: ${event}\n`}data: ${JSON.stringify(payload)}\n\n`;
}

/** Where the text of a stream's common event sits: `o[key]`, in the guard's `channel`. */
interface SimpleField {
  o: Obj;
  key: "content" | "text";
  channel: string;
}

/** A common event waiting for its text to be released. */
interface HeldEvent {
  o: Obj;
  key: "content" | "text";
  raw: string;
  event: string;
  json: Obj;
  /** Its text as the provider sent it. */
  text: string;
}

/** The event carrying `text` instead of its own: as sent when that is the same. */
function emit(h: HeldEvent, text: string): string {
  if (text === h.text) return h.raw;
  h.o[h.key] = text;
  return splice(h.raw, [h.key, h.text, text]) || sse(h.event, h.json);
}

/**
 * The longest end of `owed` that begins `next` (at most 64 characters: enough for the text a
 * guard releases ahead of an event, the space before a word; longer only costs alignment).
 */
function overlap(owed: string, next: string): number {
  for (let k = Math.min(owed.length, next.length, 64); k > 0; k--) {
    if (owed.endsWith(next.slice(0, k))) return k;
  }
  return 0;
}

/** Chat completions and legacy completions: `choices[]` deltas. */
class ChoicesRewriter implements EventRewriter {
  private readonly channels: Channels;
  /** The last chunk: its envelope (id, model, created ...) shapes chunks the gateway adds. */
  private last: Obj = {};

  private held: HeldEvent | undefined;
  private owed = "";

  constructor(
    private readonly p: ResponseProtection,
    private readonly kind: "chat" | "completions",
  ) {
    this.channels = new Channels(p);
  }

  // Per-event state of `rewrite`, kept on the object: closures and arrays made afresh for
  // every event of a stream cost more than the common event's whole rewrite.
  private changed = false;
  /** A field was added or was not a string: the whole event must be re-serialised. */
  private structural = false;
  /** The one string field whose value changed (the common case), for `splice`. */
  private edit: [string, string, string] | undefined;
  private edits = 0;

  rewrite(raw: string, event: string, json: unknown): EventResult {
    const field = this.simpleField(json);
    if (field !== undefined) return this.rewriteSimple(raw, event, json as Obj, field);
    // Anything else goes out after the held event, in order.
    const before = this.drain();
    const r = this.rewriteGeneral(raw, event, json);
    return before === "" ? r : { out: before + r.out, blocked: r.blocked };
  }

  /**
   * The text field of a stream's common event: one choice (index 0, not finished) whose only
   * text is its `delta.content` (chat) or `text` (completions). Undefined for anything else.
   */
  private simpleField(json: unknown): SimpleField | undefined {
    if (!isObj(json) || !Array.isArray(json.choices) || json.choices.length !== 1) return undefined;
    const ch: unknown = json.choices[0];
    if (!isObj(ch) || (ch.index !== undefined && ch.index !== 0) || typeof ch.finish_reason === "string") return undefined;
    if (this.kind === "completions") return typeof ch.text === "string" && ch.delta === undefined ? { o: ch, key: "text", channel: "x0" } : undefined;
    const d = ch.delta;
    if (ch.text !== undefined || !isObj(d) || typeof d.content !== "string" || typeof d.refusal === "string" || d.tool_calls !== undefined) return undefined;
    return { o: d, key: "content", channel: "c0" };
  }

  /**
   * The common event, without re-encoding it: a held tail moves text from one event to the
   * next, so rewriting each event's text would touch every event of a stream. Instead the
   * event itself waits until the guard has released its whole text unchanged, and then goes
   * out exactly as the provider sent it (one event later; the guard holds its text that long
   * anyway). `owed` is released text not yet sent; while an event is held it is a prefix of
   * that event's text. When the released text differs (a redaction, a restored placeholder),
   * the held event carries what was released instead, re-encoded as before.
   */
  private rewriteSimple(raw: string, event: string, json: Obj, f: SimpleField): EventResult {
    const original = f.o[f.key] as string;
    this.last = json;
    this.owed += this.channels.push(f.channel, original, false);
    // What was cleared before the block goes out; the blocked text was never released.
    if (this.p.blocked) return { out: this.drain(), blocked: true };
    let out = "";
    const h = this.held;
    if (h !== undefined) {
      this.held = undefined;
      const k = this.owed.startsWith(h.text) ? h.text.length : this.owed.length - overlap(this.owed, original);
      out = emit(h, this.owed.slice(0, k));
      this.owed = this.owed.slice(k);
    }
    if (this.owed === original) {
      out += raw;
      this.owed = "";
    } else if (original.startsWith(this.owed)) {
      this.held = { raw, event, json, o: f.o, key: f.key, text: original };
    } else {
      // Released text that is not this event's own goes out in its place.
      out += emit({ raw, event, json, o: f.o, key: f.key, text: original }, this.owed);
      this.owed = "";
    }
    return { out, blocked: false };
  }

  /** The held event, carrying whatever was released for it; "" when none is held. */
  private drain(): string {
    const h = this.held;
    if (h === undefined) return "";
    this.held = undefined;
    const out = emit(h, this.owed);
    this.owed = "";
    return out;
  }

  private rewriteGeneral(raw: string, event: string, json: unknown): EventResult {
    if (!isObj(json) || !Array.isArray(json.choices)) return { out: raw, blocked: false };
    const choices = json.choices;
    this.last = json;
    this.changed = false;
    this.structural = false;
    this.edit = undefined;
    this.edits = 0;
    for (let pos = 0; pos < choices.length; pos++) {
      const ch: unknown = choices[pos];
      if (!isObj(ch)) continue;
      const i = typeof ch.index === "number" ? ch.index : pos;
      if (typeof ch.text === "string") this.set(ch, "text", this.channels.push(`x${i}`, ch.text, false));
      const d = isObj(ch.delta) ? ch.delta : undefined;
      if (d !== undefined) {
        if (typeof d.content === "string") this.set(d, "content", this.channels.push(`c${i}`, d.content, false));
        if (typeof d.refusal === "string") this.set(d, "refusal", this.channels.push(`r${i}`, d.refusal, false));
        if (Array.isArray(d.tool_calls)) {
          for (const call of d.tool_calls) {
            if (!isObj(call) || !isObj(call.function) || typeof call.function.arguments !== "string") continue;
            this.set(call.function, "arguments", this.channels.push(`t${i}.${String(call.index ?? 0)}`, call.function.arguments, true));
          }
        }
      }
      if (typeof ch.finish_reason === "string") {
        // The choice is over: whatever its channels still hold goes out with this chunk.
        const held = this.flushChoice(i);
        if (held.x !== "") this.set(ch, "text", (typeof ch.text === "string" ? ch.text : "") + held.x);
        if (held.c !== "" || held.r !== "" || held.t.length > 0) {
          const delta: Obj = isObj(ch.delta) ? ch.delta : {};
          ch.delta = delta;
          if (held.c !== "") this.set(delta, "content", (typeof delta.content === "string" ? delta.content : "") + held.c);
          if (held.r !== "") this.set(delta, "refusal", (typeof delta.refusal === "string" ? delta.refusal : "") + held.r);
          if (held.t.length > 0) {
            this.changed = true;
            this.structural = true;
            const calls = Array.isArray(delta.tool_calls) ? (delta.tool_calls as unknown[]) : [];
            for (const [index, args] of held.t) calls.push({ index, function: { arguments: args } });
            delta.tool_calls = calls;
          }
        }
      }
    }
    if (this.p.blocked) return { out: "", blocked: true };
    if (!this.changed) return { out: raw, blocked: false };
    const spliced = !this.structural && this.edits === 1 && this.edit !== undefined ? splice(raw, this.edit) : "";
    return { out: spliced || sse(event, json), blocked: false };
  }

  /** Sets a string field of the event, noting how the event must be re-encoded. */
  private set(o: Obj, k: string, v: string): void {
    const old = o[k];
    if (old === v) return;
    this.changed = true;
    if (typeof old === "string") {
      this.edit = [k, old, v];
      this.edits++;
    } else {
      this.structural = true;
    }
    o[k] = v;
  }

  private flushChoice(i: number): { x: string; c: string; r: string; t: [number, string][] } {
    const t: [number, string][] = [];
    for (const key of this.channels.openKeys(`t${i}.`)) {
      const text = this.channels.flush(key);
      if (text !== "") t.push([Number(key.slice(key.indexOf(".") + 1)), text]);
    }
    return { x: this.channels.flush(`x${i}`), c: this.channels.flush(`c${i}`), r: this.channels.flush(`r${i}`), t };
  }

  finish(): EventResult {
    const before = this.drain();
    // Choices that never got a finish_reason (a provider that omits it) are flushed in one
    // chunk the gateway adds, shaped like the provider's own.
    const indexes = new Set(this.channels.openKeys().map((k) => Number(/^[a-z](\d+)/.exec(k)?.[1] ?? 0)));
    const choices: Obj[] = [];
    for (const i of indexes) {
      const held = this.flushChoice(i);
      if (this.kind === "completions") {
        if (held.x !== "") choices.push({ index: i, text: held.x, finish_reason: null });
        continue;
      }
      const delta: Obj = {};
      if (held.c !== "") delta.content = held.c;
      if (held.r !== "") delta.refusal = held.r;
      if (held.t.length > 0) delta.tool_calls = held.t.map(([index, args]) => ({ index, function: { arguments: args } }));
      if (Object.keys(delta).length > 0) choices.push({ index: i, delta, finish_reason: null });
    }
    if (this.p.blocked) return { out: before, blocked: true };
    if (choices.length === 0) return { out: before, blocked: false };
    // Built only here, once per stream: copying the envelope on every event would cost each event.
    const { choices: _, usage: __, ...envelope } = this.last;
    return { out: before + sse("", { ...envelope, choices }), blocked: false };
  }
}

/** The Responses API: typed events, each delta followed by `done` events repeating the full text. */
class ResponsesRewriter implements EventRewriter {
  private readonly channels: Channels;
  private lastDelta: Obj | undefined;

  constructor(private readonly p: ResponseProtection) {
    this.channels = new Channels(p);
  }

  rewrite(raw: string, event: string, json: unknown): EventResult {
    if (!isObj(json)) return { out: raw, blocked: false };
    const type = typeof json.type === "string" ? json.type : event;
    const oi = typeof json.output_index === "number" ? json.output_index : 0;
    const ci = typeof json.content_index === "number" ? json.content_index : 0;
    let prefix = "";
    let changed = false;
    const replace = (field: string, value: string): void => {
      if (json[field] !== value) changed = true;
      json[field] = value;
    };
    /** A `done` event: first send what the channel still held as one more delta. */
    const done = (key: string, field: string, deltaType: string, json_: boolean): void => {
      const original = json[field];
      if (typeof original !== "string") return;
      const held = this.channels.flush(key);
      if (held !== "") {
        // The added delta copies the last delta's fields (item id ...), built only here:
        // copying them on every delta would cost every event of the stream.
        const { delta: _, sequence_number: __, ...envelope } = this.lastDelta ?? {};
        prefix += sse(deltaType, { ...envelope, type: deltaType, output_index: oi, content_index: ci, delta: held });
      }
      replace(field, this.channels.final(key) ?? this.p.once(original, json_));
    };
    switch (type) {
      case "response.output_text.delta":
      case "response.refusal.delta":
      case "response.function_call_arguments.delta": {
        if (typeof json.delta !== "string") break;
        const key = type === "response.output_text.delta" ? `o${oi}.${ci}` : type === "response.refusal.delta" ? `r${oi}.${ci}` : `f${oi}`;
        this.lastDelta = json;
        replace("delta", this.channels.push(key, json.delta, type === "response.function_call_arguments.delta"));
        break;
      }
      case "response.output_text.done":
        done(`o${oi}.${ci}`, "text", "response.output_text.delta", false);
        break;
      case "response.refusal.done":
        done(`r${oi}.${ci}`, "refusal", "response.refusal.delta", false);
        break;
      case "response.function_call_arguments.done":
        done(`f${oi}`, "arguments", "response.function_call_arguments.delta", true);
        break;
      case "response.content_part.done": {
        const part = json.part;
        if (isObj(part) && typeof part.text === "string") {
          const text = this.channels.final(`o${oi}.${ci}`) ?? this.p.once(part.text, false);
          if (text !== part.text) changed = true;
          part.text = text;
        }
        break;
      }
      case "response.output_item.done":
        changed = this.rewriteItem(json.item, oi) || changed;
        break;
      case "response.completed":
      case "response.incomplete":
      case "response.failed": {
        const r = json.response;
        if (isObj(r) && Array.isArray(r.output)) r.output.forEach((item, k) => (changed = this.rewriteItem(item, k) || changed));
        break;
      }
      default:
        break;
    }
    if (this.p.blocked) return { out: "", blocked: true };
    return { out: prefix + (changed ? sse(event, json) : raw), blocked: false };
  }

  /** Puts the streamed (protected) texts into a full output item; true when it changed. */
  private rewriteItem(item: unknown, oi: number): boolean {
    const before = JSON.stringify(item);
    this.p.protectOutputItem(item, (key) => this.channels.final(key), oi);
    return JSON.stringify(item) !== before;
  }

  finish(): EventResult {
    // Channels whose `done` never came: their held text goes out as a last delta each.
    let out = "";
    for (const key of this.channels.openKeys()) {
      const held = this.channels.flush(key);
      if (held === "") continue;
      const type = key.startsWith("f") ? "response.function_call_arguments.delta" : key.startsWith("r") ? "response.refusal.delta" : "response.output_text.delta";
      const [oi, ci] = key.slice(1).split(".").map(Number);
      out += sse(type, { type, output_index: oi, content_index: ci ?? 0, delta: held });
    }
    if (this.p.blocked) return { out: "", blocked: true };
    return { out, blocked: false };
  }
}
