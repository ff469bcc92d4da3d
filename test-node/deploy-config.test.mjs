// What `wrangler deploy` ships (OWASP API8:2023 and API9:2023): wrangler.toml read with
// wrangler's own parser, so a setting that reopens a way around the edge domain or sends a
// provider key in clear fails `npm test` instead of reaching production.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { unstable_readConfig } from "wrangler";
import { ConfigSchema } from "../src/env.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const config = unstable_readConfig({ config: `${root}wrangler.toml` }, { hideWarnings: true });

describe("wrangler.toml", () => {
  test("serves only on the configured routes: workers.dev and preview URLs are off", () => {
    assert.equal(config.workers_dev, false);
    assert.equal(config.preview_urls, false);
  });

  test("the deployment configuration in [vars] is valid and reaches providers over https only", () => {
    const parsed = ConfigSchema.safeParse(config.vars.AIGIS_CONFIG);
    assert.ok(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues));
    assert.ok(parsed.data.providers.length > 0);
    for (const p of parsed.data.providers) assert.equal(new URL(p.base_url).protocol, "https:", p.id);
  });

  test("a plain-http provider URL outside loopback is refused by the configuration schema", () => {
    const provider = { id: "openai", key_secret: "OPENAI_API_KEY", models: ["gpt-4o"] };
    assert.equal(ConfigSchema.safeParse({ providers: [{ ...provider, base_url: "http://api.openai.com/v1" }] }).success, false);
    for (const local of ["http://127.0.0.1:8788/v1", "http://localhost:11434/v1", "http://mock.test/v1"]) {
      assert.equal(ConfigSchema.safeParse({ providers: [{ ...provider, base_url: local }] }).success, true, local);
    }
  });

  test("no secret in plain vars: provider keys and signing keys come from wrangler secret", () => {
    const names = Object.keys(config.vars);
    assert.deepEqual(names.filter((n) => /KEY|SECRET|TOKEN|PASSWORD/i.test(n)), []);
    const text = JSON.stringify(config.vars);
    assert.doesNotMatch(text, /sk-[A-Za-z0-9_-]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  });

  test("functions are not wrapped to keep their names (keep_names off: 12% of the intake scan's CPU)", () => {
    assert.equal(config.keep_names, false);
  });

  test("the client's disconnect aborts upstream work (enable_request_signal)", () => {
    assert.ok(config.compatibility_flags.includes("enable_request_signal"));
  });

  test(".dev.vars, where local secrets live, is ignored by git", () => {
    const ignored = readFileSync(`${root}.gitignore`, "utf8").split("\n").map((l) => l.trim());
    assert.ok(ignored.includes(".dev.vars"));
  });
});
