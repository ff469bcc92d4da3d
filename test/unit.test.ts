import { describe, expect, it } from "vitest";
import { toDataPoint, newRequestLog } from "../src/analytics/record";
import { checkRecord, extractKey } from "../src/auth/api-keys";
import { ConfigSchema } from "../src/env";
import { exceedsDepth, formatPath, isJsonContentType } from "../src/request/body";
import { listedModels, providerChain, upstreamModel } from "../src/upstream/providers";
import { TEST_CONFIG } from "./config";

const config = ConfigSchema.parse(TEST_CONFIG);

describe("request body helpers", () => {
  it("depth check is exact at the limit and ignores strings", () => {
    expect(exceedsDepth("[[[]]]", 3)).toBe(false);
    expect(exceedsDepth("[[[[]]]]", 3)).toBe(true);
    expect(exceedsDepth('{"a":"[[[[[[[[\\"[[[["}', 1)).toBe(false);
    expect(exceedsDepth("[".repeat(1_000_000), 64)).toBe(true);
  });

  it("content types", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("Application/JSON; charset=utf-8")).toBe(true);
    expect(isJsonContentType("application/json; charset=iso-8859-1")).toBe(false);
    expect(isJsonContentType("application/jsonx")).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it("paths are OpenAI-style and never echo odd keys", () => {
    expect(formatPath(["messages", 0, "content"])).toBe("messages[0].content");
    expect(formatPath(["<script>"])).toBe("(unprintable)");
  });
});

describe("providers", () => {
  it("chains follow fallbacks once each", () => {
    expect(providerChain(config, "flaky-gpt").map((p) => p.id)).toEqual(["flaky", "mock"]);
    expect(providerChain(config, "mock-anything").map((p) => p.id)).toEqual(["mock"]);
    expect(providerChain(config, "nope")).toEqual([]);
    const cyclic = ConfigSchema.parse({ providers: [{ id: "a", base_url: "http://a.test/v1", models: ["m"], fallback: "b" }, { id: "b", base_url: "http://b.test/v1", models: ["n"], fallback: "a" }] });
    expect(providerChain(cyclic, "m").map((p) => p.id)).toEqual(["a", "b"]);
  });

  it("model map and listing", () => {
    expect(upstreamModel(providerChain(config, "flaky-gpt")[0]!, "flaky-gpt")).toBe("mock-gpt");
    expect(listedModels(config)).not.toContain("mock-*");
  });

  it("configuration is validated: bad fallback, duplicate ids", () => {
    expect(ConfigSchema.safeParse({ providers: [{ id: "a", base_url: "http://a.test/v1", models: ["m"], fallback: "zz" }] }).success).toBe(false);
    expect(ConfigSchema.safeParse({ providers: [{ id: "a", base_url: "http://a.test/v1", models: ["m"] }, { id: "a", base_url: "http://b.test/v1", models: ["n"] }] }).success).toBe(false);
    expect(ConfigSchema.safeParse({ providers: [] }).success).toBe(false);
  });
});

describe("API key records", () => {
  const base = { client_id: "c", tenant: "t", plan: "p" };
  it("checks revocation and expiry, failing closed on nonsense", () => {
    expect(checkRecord(base, 0)).toMatchObject({ clientId: "c" });
    expect(checkRecord({ ...base, revoked: true }, 0)).toBe("revoked");
    expect(checkRecord({ ...base, expires: "2000-01-01T00:00:00Z" }, Date.now())).toBe("expired");
    expect(checkRecord({ ...base, expires: "soon" }, 0)).toBe("expired");
    expect(checkRecord({ tenant: "t" }, 0)).toBe("corrupt_record");
  });

  it("extracts Bearer and x-api-key, nothing else", () => {
    expect(extractKey(new Headers({ authorization: "Bearer abc" }))).toBe("abc");
    expect(extractKey(new Headers({ authorization: "Basic abc" }))).toBe("");
    expect(extractKey(new Headers({ "x-api-key": "k" }))).toBe("k");
    expect(extractKey(new Headers())).toBeUndefined();
  });
});

describe("analytics data point", () => {
  it("has the documented positions and no more than 20 blobs/doubles", () => {
    const log = newRequestLog("req_1", "POST", 0);
    Object.assign(log, { clientId: "c", route: "chat", model: "m", status: 200, promptTokens: 3, completionTokens: 4, totalTokens: 7, rulesVersion: "v1@abc" });
    const p = toDataPoint(log);
    expect(p.indexes).toEqual(["c"]);
    expect(p.blobs?.[0]).toBe("chat");
    expect(p.blobs?.[6]).toBe("v1@abc");
    expect(p.doubles?.[0]).toBe(200);
    expect(p.doubles?.[5]).toBe(7);
    expect((p.blobs ?? []).length).toBeLessThanOrEqual(20);
    expect((p.doubles ?? []).length).toBeLessThanOrEqual(20);
  });
});

describe("API key format", () => {
  it("new keys are well-formed, unique and 256 bits of base62", async () => {
    const { generateApiKey, isWellFormedKey, KEY_LENGTH } = await import("../src/auth/key-format");
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey()));
    expect(keys.size).toBe(200);
    for (const k of keys) {
      expect(k).toMatch(/^aig_[0-9A-Za-z]{49}$/);
      expect(k.length).toBe(KEY_LENGTH);
      expect(isWellFormedKey(k)).toBe(true);
    }
  });

  it("the checksum catches every single-character typo", async () => {
    const { generateApiKey, isWellFormedKey } = await import("../src/auth/key-format");
    const k = generateApiKey();
    for (let i = 4; i < k.length; i++) {
      const c = k[i] === "a" ? "b" : "a";
      expect(isWellFormedKey(k.slice(0, i) + c + k.slice(i + 1)), `position ${i}`).toBe(false);
    }
    expect(isWellFormedKey(k.slice(0, -1))).toBe(false);
    expect(isWellFormedKey(`xyz_${k.slice(4)}`)).toBe(false);
  });
});
