/**
 * Incremental Server-Sent Events framing (WHATWG HTML, "9.2 Server-sent events").
 *
 * Upstream chunks are cut into complete events; an incomplete tail waits for its blank
 * line. Holding the tail back costs the client nothing, because an SSE parser dispatches
 * an event only at its blank line anyway, and it means the gateway never forwards half an
 * event that it might later have to end the stream after.
 */

export interface SseEvent {
  /** The event's exact text including its terminating blank line, forwarded unchanged. */
  raw: string;
  /** The `event:` field, or "" when absent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
}

/** Finds the end (exclusive) of the first event terminator at or after `from`, or -1. */
function nextBoundary(buf: string, from: number): number {
  for (let i = buf.indexOf("\n", from); i !== -1; i = buf.indexOf("\n", i + 1)) {
    // "\n\n" or "\n\r\n": a line break followed by an empty line.
    if (buf.charCodeAt(i + 1) === 10) return i + 2;
    if (buf.charCodeAt(i + 1) === 13 && buf.charCodeAt(i + 2) === 10) return i + 3;
  }
  return -1;
}

export function parseEvent(raw: string): SseEvent {
  let event = "";
  const data: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith("data:")) data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
    else if (line.startsWith("event:")) event = line.slice(6).trim();
  }
  return { raw, event, data: data.join("\n") };
}

export class SseSplitter {
  private buf = "";
  private readonly decoder = new TextDecoder();

  /** Feeds bytes; returns the events completed by them. */
  push(bytes: Uint8Array): SseEvent[] {
    this.buf += this.decoder.decode(bytes, { stream: true });
    const out: SseEvent[] = [];
    let start = 0;
    for (let end = nextBoundary(this.buf, 0); end !== -1; end = nextBoundary(this.buf, start)) {
      out.push(parseEvent(this.buf.slice(start, end)));
      start = end;
    }
    if (start > 0) this.buf = this.buf.slice(start);
    return out;
  }

  /** Text still waiting for its blank line. */
  get pending(): string {
    return this.buf;
  }
}

const encoder = new TextEncoder();

/** One SSE `data:` event carrying JSON. */
export function dataEvent(payload: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(payload)}\n\n`);
}

export const DONE_EVENT = encoder.encode("data: [DONE]\n\n");
