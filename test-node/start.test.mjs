// @ts-check
/**
 * `npm start` end to end, as a new user runs it: the script starts, prints its URL and keys,
 * and the official openai SDK gets a streamed reply through the gateway.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

test("npm start serves the gateway and the SDK streams through it", { timeout: 120_000 }, async () => {
  const port = 18_000 + Math.floor(Math.random() * 2000) * 2;
  const child = spawn(process.execPath, ["scripts/start.mjs"], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  try {
    const deadline = Date.now() + 90_000;
    while (!/Admin key: \S+/.test(out)) {
      assert.ok(Date.now() < deadline, `npm start printed no keys in time:\n${out}`);
      assert.equal(child.exitCode, null, `npm start exited early:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const lines = out.split("\n");
    assert.ok(lines.includes(`Gateway: http://127.0.0.1:${port}`), out);
    const demo = /^Demo key: (\S+)$/m.exec(out)?.[1];
    const admin = /^Admin key: (\S+)$/m.exec(out)?.[1];
    assert.ok(demo && admin && demo !== admin);

    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: demo, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "mock-gpt", stream: true, messages: [{ role: "user", content: "hello from a fresh clone" }] });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    assert.equal(text.trim(), "hello from a fresh clone");

    const rules = await fetch(`http://127.0.0.1:${port}/admin/v1/rules`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(rules.status, 200);
    const denied = await fetch(`http://127.0.0.1:${port}/admin/v1/rules`, { headers: { authorization: `Bearer ${demo}` } });
    assert.equal(denied.status, 403);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});
