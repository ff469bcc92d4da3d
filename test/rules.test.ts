import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_RULES } from "../src/rules/defaults";
import { RulesDocumentSchema } from "../src/rules/schema";
import { getRules, resetRulesCache, RULES_KEY, RULES_TTL_MS } from "../src/rules/store";
import { chat, errorOf, seedKey, testKey } from "./helpers";
import defaultJson from "../rules/default.json";
import committedSchema from "../rules/schema.json";
import { rulesJsonSchema } from "../src/rules/json-schema";

const doc = (version: string, unknown_fields: "reject" | "strip" | "pass" = "reject") => JSON.stringify({ schema_version: 1, version, plans: { default: { unknown_fields } } });

beforeEach(async () => {
  resetRulesCache();
  await seedKey();
});
afterEach(async () => {
  await env.CONFIG_KV.delete(RULES_KEY);
  resetRulesCache();
});

describe("rules store", () => {
  it("bundled defaults apply while nothing was ever pushed", async () => {
    const s = await getRules(env.CONFIG_KV, 0);
    expect(s.source).toBe("bundled");
    expect(s.version).toBe("bundled-default");
    expect(s.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it("rules/default.json is the bundled document", () => {
    const { $schema, ...doc } = RulesDocumentSchema.parse(defaultJson);
    expect($schema).toBe("./schema.json");
    expect(doc).toEqual(RulesDocumentSchema.parse(DEFAULT_RULES));
  });

  it("a pushed document replaces the defaults after the cache time", async () => {
    await getRules(env.CONFIG_KV, 0);
    await env.CONFIG_KV.put(RULES_KEY, doc("v2"));
    expect((await getRules(env.CONFIG_KV, 1)).version).toBe("bundled-default"); // still cached
    expect((await getRules(env.CONFIG_KV, RULES_TTL_MS + 1)).version).toBe("v2");
  });

  it("an invalid push is ignored: the last valid document stays", async () => {
    await env.CONFIG_KV.put(RULES_KEY, doc("v1"));
    expect((await getRules(env.CONFIG_KV, 0)).version).toBe("v1");
    await env.CONFIG_KV.put(RULES_KEY, '{"schema_version": 1, "version": "bad one!", "plans": 5}');
    expect((await getRules(env.CONFIG_KV, RULES_TTL_MS + 1)).version).toBe("v1");
    await env.CONFIG_KV.put(RULES_KEY, "not json");
    expect((await getRules(env.CONFIG_KV, 3 * RULES_TTL_MS)).version).toBe("v1");
  });

  it("no valid document at all: requests fail closed with 503", async () => {
    await env.CONFIG_KV.put(RULES_KEY, '{"schema_version": 2}');
    const res = await chat("x");
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("rules_unavailable");
  });
});

describe("unknown-field policy per plan", () => {
  const body = { temprature: 1 };
  it("reject (default): 400", async () => {
    expect((await chat("x", body)).status).toBe(400);
  });

  it("strip: forwarded without the field", async () => {
    await env.CONFIG_KV.put(RULES_KEY, doc("strip", "strip"));
    const res = await chat("x", { ...body, model: "mock-echo-request" });
    expect(res.status).toBe(200);
    const seen = JSON.parse(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content) as { body: Record<string, unknown> };
    expect(seen.body).not.toHaveProperty("temprature");
  });

  it("pass: forwarded unchanged", async () => {
    await env.CONFIG_KV.put(RULES_KEY, doc("pass", "pass"));
    const res = await chat("x", { ...body, model: "mock-echo-request" });
    expect(res.status).toBe(200);
    const seen = JSON.parse(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content) as { body: Record<string, unknown> };
    expect(seen.body.temprature).toBe(1);
  });

  it("another plan keeps the default policy", async () => {
    await env.CONFIG_KV.put(RULES_KEY, doc("strip", "strip"));
    await seedKey(testKey("otherplankey"), { plan: "partner" });
    expect((await chat("x", body, { key: testKey("otherplankey") })).status).toBe(400);
  });
});

describe("JSON Schema for editors", () => {
  it("rules/schema.json is generated from the zod schema (run `npm run rules:schema`)", () => {
    expect(committedSchema).toEqual(rulesJsonSchema());
  });
});
