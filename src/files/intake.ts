/**
 * The intake hook: every upload with purpose `fine-tune` passes through `scanUpload` before
 * anything is forwarded (issue 10, point 2). The upload handler (src/files/files.ts) acts on
 * the verdict: `accepted`, `flagged` and `redacted` forward `forward`; `quarantined` and
 * `rejected` forward nothing and answer 400 `training_file_rejected`. Each verdict is
 * recorded in the audit trail with the file's SHA-256.
 */
import type { Context } from "hono";
import { sha256Hex } from "../auth/api-keys";
import type { AppEnv } from "../env";

export type IntakeStatus = "accepted" | "flagged" | "redacted" | "quarantined" | "rejected";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * PLACEHOLDER check, replaced by the intake scanner (src/intake): the file must be UTF-8
 * JSONL with at least one line, each non-blank line a JSON object. Returns the number of
 * lines, or the 1-based number of the first bad line as a negative number (0: no lines).
 */
function jsonlLines(bytes: Uint8Array): number {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return -1;
  }
  let count = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return -(i + 1);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return -(i + 1);
    count++;
  }
  return count;
}

// INTAKE-HOOK
/**
 * Scans a training file before it is forwarded. `forward` is what goes to the provider
 * (the upload itself, or a redacted copy), null when nothing may be forwarded; `report` is
 * the scan's findings for the uploader and the audit trail.
 */
export async function scanUpload(
  c: Context<AppEnv>,
  file: { bytes: Uint8Array; filename: string; purpose: string },
): Promise<{ forward: Uint8Array | null; report: unknown; status: IntakeStatus }> {
  const sha256 = await sha256Hex(file.bytes);
  const lines = jsonlLines(file.bytes);
  if (lines <= 0) return { forward: null, report: { sha256, bytes: file.bytes.byteLength, reason: lines === 0 ? "no lines" : "not JSONL", line: -lines }, status: "rejected" };
  return { forward: file.bytes, report: { sha256, bytes: file.bytes.byteLength, lines }, status: "accepted" };
}
