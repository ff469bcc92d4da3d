/**
 * The redacted file: what the caller forwards when the verdict is `redact`. Each line with
 * an entity to redact is parsed again, its strings rewritten with the firewall's typed
 * placeholders (`[EMAIL_1]`, numbered per example so that a conversation still says who is
 * who) and serialised again; every other line is copied byte for byte, line ending included.
 */
import type { Entity } from "../firewall/entity";
import { setAtPath, type PathSegment } from "../firewall/extract";
import { redact, RedactionVault } from "../firewall/redact";
import { concatBytes } from "../util/bytes";

/** The entities to replace in one string of a line, with offsets in that string. */
export interface RedactionSpan {
  path: PathSegment[];
  entities: Entity[];
}

/** A line to rewrite: its content's byte range (without the line ending) and its spans. */
export interface LineRedaction {
  start: number;
  end: number;
  spans: RedactionSpan[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function valueAt(obj: unknown, path: readonly PathSegment[]): unknown {
  let node = obj;
  for (const p of path) node = (node as Record<PathSegment, unknown>)[p];
  return node;
}

/**
 * `bytes` with the lines of `lines` (ascending, non-overlapping) rewritten.
 *
 * @example
 * // a line {"messages":[{"role":"user","content":"mail a@b.co"}, ...]} becomes
 * // {"messages":[{"role":"user","content":"mail [EMAIL_1]"}, ...]}
 */
export function redactFile(bytes: Uint8Array, lines: readonly LineRedaction[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let at = 0;
  const push = (chunk: Uint8Array): void => {
    chunks.push(chunk);
    total += chunk.byteLength;
  };
  for (const line of lines) {
    push(bytes.subarray(at, line.start));
    const obj = JSON.parse(decoder.decode(bytes.subarray(line.start, line.end))) as Record<string, unknown>;
    const vault = new RedactionVault();
    for (const span of line.spans) {
      const text = valueAt(obj, span.path);
      if (typeof text === "string") setAtPath(obj, span.path, redact(text, span.entities, vault));
    }
    push(encoder.encode(JSON.stringify(obj)));
    at = line.end;
  }
  push(bytes.subarray(at));
  return concatBytes(chunks, total);
}
