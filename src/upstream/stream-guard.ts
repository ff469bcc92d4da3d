/**
 * Passes an upstream SSE stream to the client event by event, without buffering it, and
 * makes sure every stream ends in a way the OpenAI SDKs notice.
 *
 * A stream that ends without its end marker would end silently for the SDK's user, so a
 * cut, an idle upstream or an oversized stream ends with `data: {"error": ...}` followed by
 * `data: [DONE]` (see the backbone issue and TOOLCHAIN.md). The client going away cancels
 * the stream, which aborts the upstream fetch.
 */
import { errorBody, GatewayError, type ErrorCode } from "../errors";
import { dataEvent, DONE_EVENT, SseSplitter, type SseEvent } from "./sse";
import { estimateTextTokensUnrounded } from "../quota/tokens";
import { usageFromBody, type Usage } from "./usage";
import type { EventResult, EventRewriter } from "../protect/response";
import { createdResponseOf, type CreatedResponse } from "../policy/objects";

export type StreamKind = "chat" | "completions" | "responses";

export interface StreamSummary {
  /** How the stream ended. */
  outcome: "complete" | "cut" | "cancelled";
  errorCode: ErrorCode | "";
  bytes: number;
  /** As the provider reported it, when it did. */
  usage: Usage | undefined;
  /** Output tokens estimated from the deltas forwarded to the client. */
  countedOutputTokens: number;
  /** Responses with `keepResponse`: the ids of the newest response object the stream carried. */
  createdResponse: CreatedResponse | undefined;
}

export interface GuardOptions {
  kind: StreamKind;
  idleTimeoutMs: number;
  maxBytes: number;
  /** Aborts the upstream request. */
  abort: (reason: string) => void;
  /**
   * Output tokens the client's budget pays for; past it the stream is cut with
   * `insufficient_quota` (mid-stream enforcement). Undefined: no budget limit.
   */
  maxOutputTokens?: number | undefined;
  /** Count output tokens from the deltas (needed only when a reservation will be settled). */
  countOutput?: boolean;
  /** The gateway asked for usage the client did not: keep the usage-only chunk from it. */
  hideUsageChunk?: boolean;
  /**
   * Response protection: rewrites each event's text (redacting, restoring placeholders,
   * holding back a tail that could still become an entity) or ends the stream with
   * `response_blocked`. Absent: events pass unchanged.
   */
  rewriter?: EventRewriter | undefined;
  /** Responses: note the ids the response object carries, for recording who owns them (src/middleware/objects.ts). */
  keepResponse?: boolean;
}

/** The text a delta event adds to the output, for counting; "" for events that add none. */
export function deltaText(kind: StreamKind, data: unknown): string {
  if (typeof data !== "object" || data === null) return "";
  const d = data as { choices?: unknown; type?: unknown; delta?: unknown };
  if (kind === "responses") return d.type === "response.output_text.delta" && typeof d.delta === "string" ? d.delta : "";
  if (!Array.isArray(d.choices)) return "";
  let out = "";
  for (const ch of d.choices as { delta?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] }; text?: unknown }[]) {
    if (typeof ch.text === "string") out += ch.text;
    const delta = ch.delta;
    if (delta === undefined) continue;
    if (typeof delta.content === "string") out += delta.content;
    for (const call of delta.tool_calls ?? []) if (typeof call.function?.arguments === "string") out += call.function.arguments;
  }
  return out;
}

const encoder = new TextEncoder();
const RESPONSES_TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete", "error"]);

/** What a rewriter's `finish` gives when nothing is held; shared, since every event but the last uses it. */
const NOTHING_HELD: Readonly<EventResult> = Object.freeze({ out: "", blocked: false });

const RESPONSE_OBJECT_EVENTS = new Set(["response.created", "response.completed", "response.failed", "response.incomplete"]);

/**
 * Whether this Responses event carries the whole response object: `created` has its id
 * first, the end events have its output items too.
 */
function carriesResponse(ev: SseEvent): boolean {
  if (RESPONSE_OBJECT_EVENTS.has(ev.event)) return true;
  return ev.event === "" && /"type"\s*:\s*"response\.(created|completed|failed|incomplete)"/.test(ev.data.slice(0, 64));
}

/** Whether this event is the upstream's own end of stream. */
export function isTerminal(kind: StreamKind, ev: SseEvent): boolean {
  if (kind !== "responses") return ev.data === "[DONE]";
  if (RESPONSES_TERMINAL.has(ev.event)) return true;
  // Some servers omit `event:` lines; the type is also inside the data.
  return ev.event === "" && /"type"\s*:\s*"(response\.(completed|failed|incomplete)|error)"/.test(ev.data.slice(0, 64));
}

export function guardStream(upstream: ReadableStream<Uint8Array>, opts: GuardOptions): { stream: ReadableStream<Uint8Array>; done: Promise<StreamSummary> } {
  const reader = upstream.getReader();
  const splitter = new SseSplitter();
  let terminal = false;
  let bytes = 0;
  let usage: Usage | undefined;
  let counted = 0;
  let created: CreatedResponse | undefined;
  let settle!: (s: StreamSummary) => void;
  const done = new Promise<StreamSummary>((r) => (settle = r));
  let finished = false;

  const counting = opts.countOutput === true || opts.maxOutputTokens !== undefined;
  const rewriter = opts.rewriter;
  const keepResponse = opts.kind === "responses" && opts.keepResponse === true;
  const finish = (outcome: StreamSummary["outcome"], errorCode: ErrorCode | ""): void => {
    if (finished) return;
    finished = true;
    stopWatchdog();
    settle({ outcome, errorCode, bytes, usage, countedOutputTokens: Math.ceil(counted), createdResponse: created });
  };

  // One watchdog timer per stream, not one per read: a stream has hundreds of events, and
  // a timer plus a Promise.race per read cost more than the event itself. Only time spent
  // waiting on a read counts (a slow client that does not pull is not an idle upstream); the
  // watchdog re-arms itself for the time left, and when a read has waited idleTimeoutMs it
  // cancels the reader, which ends the pending read.
  let readSince = 0; // when the pending read started; 0: no read pending
  let idled = false;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number): void => {
    watchdog = setTimeout(() => {
      if (finished) return;
      const quiet = readSince === 0 ? 0 : Date.now() - readSince;
      if (quiet < opts.idleTimeoutMs) return arm(opts.idleTimeoutMs - quiet);
      idled = true;
      reader.cancel("idle timeout").catch(() => {});
    }, ms);
  };
  arm(opts.idleTimeoutMs);
  const stopWatchdog = (): void => {
    if (watchdog !== undefined) clearTimeout(watchdog);
    watchdog = undefined;
  };

  const cut = (controller: ReadableStreamDefaultController<Uint8Array>, code: ErrorCode, detail: string): void => {
    opts.abort(detail);
    reader.cancel(detail).catch(() => {});
    controller.enqueue(dataEvent(errorBody(new GatewayError(code))));
    controller.enqueue(DONE_EVENT);
    controller.close();
    finish("cut", code);
  };

  const stream = new ReadableStream<Uint8Array>({
    // pull must enqueue or close before it returns: a pull that enqueues nothing is not
    // called again for the same read (WHATWG Streams, ReadableStreamDefaultControllerCallPullIfNeeded).
    async pull(controller) {
      for (;;) {
        if (await step(controller)) return;
      }
    },
    cancel(reason) {
      // The client went away: stop paying for tokens nobody reads.
      opts.abort("client disconnected");
      reader.cancel(reason).catch(() => {});
      finish("cancelled", "");
    },
  });

  /** Reads one upstream chunk; true once something was enqueued or the stream closed. */
  async function step(controller: ReadableStreamDefaultController<Uint8Array>): Promise<boolean> {
    let result: ReadableStreamReadResult<Uint8Array>;
    readSince = Date.now();
    try {
      result = await reader.read();
    } catch {
      cut(controller, idled ? "upstream_timeout" : "stream_interrupted", idled ? "idle timeout" : "upstream read failed");
      return true;
    }
    readSince = 0;
    if (idled) {
      cut(controller, "upstream_timeout", "idle timeout");
      return true;
    }
    if (result.done) {
      // The end marker closes the stream as soon as it is seen (below), so reaching the
      // upstream's end here means the marker never came.
      cut(controller, "stream_interrupted", "upstream ended without end marker");
      return true;
    }
    bytes += result.value.byteLength;
    if (bytes > opts.maxBytes) {
      cut(controller, "upstream_response_too_large", "stream over max_response_bytes");
      return true;
    }
    const events = splitter.push(result.value);
    let out = "";
    for (const ev of events) {
      if (terminal) break; // nothing is forwarded after the end marker
      const isEnd = isTerminal(opts.kind, ev);
      if (isEnd) terminal = true;
      let json: unknown;
      const withResponse = keepResponse && carriesResponse(ev);
      // Parsing every event costs CPU on every stream: only when counting or protecting, or
      // when the event can carry usage or the response's ids.
      if (ev.data.startsWith("{") && (counting || rewriter !== undefined || withResponse || ev.data.includes('"usage"'))) {
        try {
          json = JSON.parse(ev.data);
        } catch {
          json = undefined;
        }
      }
      // Only the ids are kept: the response object itself can be as large as the stream.
      if (withResponse && json !== undefined) created = createdResponseOf((json as { response?: unknown }).response) ?? created;
      if (json !== undefined) {
        const reported = usageFromBody(opts.kind === "responses" ? (json as { response?: unknown }).response : json);
        if (reported !== undefined && ev.data.includes('"usage"')) usage = reported;
        // Summed unrounded: rounding each one-token delta up would nearly double the count.
        const next = counted + estimateTextTokensUnrounded(deltaText(opts.kind, json));
        if (opts.maxOutputTokens !== undefined && next > opts.maxOutputTokens) {
          // Mid-stream enforcement: what was sent so far goes out, this event does not.
          if (out !== "") controller.enqueue(encoder.encode(out));
          cut(controller, "insufficient_quota", "budget reached mid-stream");
          return true;
        }
        counted = next; // only what is actually sent counts
        const usageOnly = reported !== undefined && Array.isArray((json as { choices?: unknown }).choices) && (json as { choices: unknown[] }).choices.length === 0;
        if (usageOnly && opts.hideUsageChunk === true) continue;
      }
      if (rewriter === undefined) {
        out += ev.raw;
        continue;
      }
      // Held-back text goes out before the end marker; then the event itself, rewritten.
      const tail = isEnd ? rewriter.finish() : NOTHING_HELD;
      const r = tail.blocked ? tail : rewriter.rewrite(ev.raw, ev.event, json);
      if (r.blocked) {
        // What was already cleared goes out (a rewriter may still have held some); the blocked text does not.
        out += r === tail ? tail.out : tail.out + r.out;
        if (out !== "") controller.enqueue(encoder.encode(out));
        cut(controller, "response_blocked", "output blocked by rule");
        return true;
      }
      out += tail.out + r.out;
    }
    if (out === "") return false;
    controller.enqueue(encoder.encode(out));
    if (terminal) {
      // The end marker is the end: close now instead of waiting for the upstream to hang up.
      controller.close();
      reader.cancel().catch(() => {});
      finish("complete", "");
    }
    return true;
  }
  return { stream, done };
}
