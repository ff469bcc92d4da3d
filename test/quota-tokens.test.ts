import { describe, expect, it } from "vitest";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";

describe("probe", () => {
  it("loads", () => {
    const t0 = Date.now();
    const enc = new Tiktoken(o200k);
    expect(enc.encode("Hello, world!", [], []).length).toBe(4);
    console.log("init", Date.now() - t0);
  });
});
