// @ts-check
/**
 * `npm run quarantine`: the pure parts directly, then the CLI as an operator runs it, against
 * a local HTTP server that answers like the gateway's /admin/v1/quarantine endpoints (the
 * endpoints themselves are tested in workerd: test/quarantine.test.ts).
 *
 * Run: node --import tsx --test test-node/quarantine.test.mjs
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runScript } from "./cli.mjs";
import { failure, formatHeld, parseCommand, requestOf, UsageError } from "../scripts/lib/quarantine-cli.ts";

const QID = `qfile_${"0".repeat(12)}${"a".repeat(20)}`;
const ENV = { AIGIS_GATEWAY_URL: "https://gw.example.com", AIGIS_ADMIN_KEY: "admin-key" };

describe("command line", () => {
  test("parses each command with the gateway from the environment", () => {
    assert.deepEqual(parseCommand(["list", "--client", "acme", "--limit", "5"], ENV), {
      kind: "list", gateway: { url: "https://gw.example.com", adminKey: "admin-key" }, client: "acme", limit: 5, after: undefined, json: false,
    });
    assert.deepEqual(requestOf(/** @type {any} */ (parseCommand(["list", "--client", "a b"], ENV))), { method: "GET", path: "/admin/v1/quarantine?client_id=a+b" });
    assert.deepEqual(requestOf(/** @type {any} */ (parseCommand(["release", QID, "--reason", "ok"], ENV))), { method: "POST", path: `/admin/v1/quarantine/${QID}/release`, body: '{"reason":"ok"}' });
    assert.deepEqual(requestOf(/** @type {any} */ (parseCommand(["discard", QID], ENV))), { method: "POST", path: `/admin/v1/quarantine/${QID}/discard` });
    assert.deepEqual(requestOf(/** @type {any} */ (parseCommand(["content", QID, "--out", "f"], ENV))), { method: "GET", path: `/admin/v1/quarantine/${QID}/content` });
    assert.equal(parseCommand([], ENV).kind, "help");
  });

  test("refuses what it cannot send", () => {
    for (const [argv, env, message] of [
      [["get", "qfile_1"], ENV, /not a held file id/],
      [["get"], ENV, /needs the held file's id/],
      [["list", "--limit", "0"], ENV, /--limit/],
      [["list", "--reason", "x"], ENV, /does not take --reason/],
      [["release", QID], {}, /no gateway/],
      [["release", QID], { AIGIS_GATEWAY_URL: "http://gw.example.com", AIGIS_ADMIN_KEY: "k" }, /https/],
      [["release", QID, "--reason", "x".repeat(201)], ENV, /200/],
      [["purge"], ENV, /unknown command/],
    ]) {
      assert.throws(() => parseCommand(/** @type {string[]} */ (argv), /** @type {any} */ (env)), (err) => err instanceof UsageError && /** @type {RegExp} */ (message).test(err.message), String(argv));
    }
  });

  test("prints the gateway's code, and no control character from a client's file name", () => {
    assert.match(failure(404, '{"error":{"code":"quarantined_file_not_found"}}', "release").message, /HTTP 404 quarantined_file_not_found \(not held/);
    assert.equal(failure(502, "<html>", "list").message, "list: HTTP 502");
    const line = formatHeld({ id: QID, client_id: "acme", filename: "a\u001b[2Jb.jsonl", bytes: 3, created_at: 0, expires_at: 86_400 });
    assert.equal(line, `${QID}  client=acme  3 B  held 1970-01-01T00:00:00Z  expires 1970-01-02T00:00:00Z  a?[2Jb.jsonl`);
  });
});

describe("against a gateway", () => {
  test("list, content to a file, release and a refused discard, with the admin key", async () => {
    /** @type {{ method: string, url: string, auth: string, body: string }[]} */
    const seen = [];
    const server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      seen.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization ?? "", body });
      const send = (/** @type {number} */ status, /** @type {unknown} */ value) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
      if (req.url?.startsWith("/admin/v1/quarantine?")) return send(200, { object: "list", data: [{ id: QID, client_id: "acme", filename: "t.jsonl", bytes: 4, created_at: 0, expires_at: 1 }], has_more: false, next_after: null });
      if (req.url === `/admin/v1/quarantine/${QID}/content`) return res.writeHead(200, { "content-type": "application/octet-stream" }).end("{}\n\n");
      if (req.url === `/admin/v1/quarantine/${QID}/release`) return send(200, { id: QID, status: "released", client_id: "acme", file: { id: "file-abc" } });
      return send(404, { error: { code: "quarantined_file_not_found" } });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
    const dir = await mkdtemp(join(tmpdir(), "aigis-quarantine-"));
    const env = { ...process.env, AIGIS_GATEWAY_URL: `http://localhost:${port}`, AIGIS_ADMIN_KEY: "the-admin-key" };
    try {
      const list = await runScript("scripts/quarantine.ts", ["list", "--client", "acme"], env);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`^${QID}  client=acme  4 B`));

      const out = join(dir, "held.jsonl");
      const content = await runScript("scripts/quarantine.ts", ["content", QID, "--out", out], env);
      assert.equal(content.code, 0, content.stderr);
      assert.equal(await readFile(out, "utf8"), "{}\n\n");
      assert.equal((await stat(out)).mode & 0o777, 0o600);

      const release = await runScript("scripts/quarantine.ts", ["release", QID, "--reason", "looked fine"], env);
      assert.equal(release.code, 0, release.stderr);
      assert.match(release.stdout, /released .*: file file-abc, owned by client acme/);

      const other = `qfile_${"1".repeat(32)}`;
      const discard = await runScript("scripts/quarantine.ts", ["discard", other], env);
      assert.equal(discard.code, 1);
      assert.match(discard.stderr, /HTTP 404 quarantined_file_not_found/);

      assert.ok(seen.every((r) => r.auth === "Bearer the-admin-key"));
      assert.deepEqual(seen.find((r) => r.url.endsWith("/release"))?.body, '{"reason":"looked fine"}');
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
