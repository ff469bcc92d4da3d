/**
 * A minimal stream driver for testing one output scanner on its own: hold what the scanner
 * asks for (never more than `maxHold` characters), release the rest through `apply` in order,
 * exactly as the contract in src/protect/types.ts describes. The real guard
 * (src/protect/stream-text.ts) adds its own forced-release policy; scanner tests use this
 * driver so that they test the scanner, not that policy.
 */
import { expect } from "vitest";
import type { OutputFinding, OutputScanner } from "../src/protect/types";

export function drive(scanner: OutputScanner, chunks: readonly string[], maxHold = 512): { text: string; findings: OutputFinding[] } {
  let pending = "";
  let released = "";
  const findings: OutputFinding[] = [];
  const release = (t: string): void => {
    if (t === "") return;
    const r = scanner.apply(t, released.slice(-256));
    released += r.text;
    findings.push(...r.findings);
  };
  for (const chunk of chunks) {
    pending += chunk;
    let cut = scanner.holdFrom(pending);
    expect(cut).toBeGreaterThanOrEqual(0);
    expect(cut).toBeLessThanOrEqual(pending.length);
    cut = Math.max(cut, pending.length - maxHold);
    release(pending.slice(0, cut));
    pending = pending.slice(cut);
  }
  release(pending);
  return { text: released, findings };
}

/** `text` cut into pieces of `size` characters (the last one shorter). */
export function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
