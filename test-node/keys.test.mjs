// @ts-check
/**
 * `npm run keys`: the pure parts directly, then the CLI as an operator runs it, against
 * local KV through wrangler. Every wrangler test has its own temporary `--persist-to`
 * directory (never .wrangler/state) and the wrangler tests run concurrently: each wrangler
 * call costs about a second.
 *
 * Run: node --import tsx --test test-node/keys.test.mjs
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ROOT, runScript } from "./cli.mjs";
import { sha256Hex } from "../src/auth/api-keys.ts";
import { KeyRecordSchema } from "../src/auth/identity.ts";
import { fixtureKey, isWellFormedKey } from "../src/auth/key-format.ts";
import { readRecords, seedLocalKey, targetFor } from "../scripts/lib/key-store.ts";
import { CliError, UsageError, createdEvent, expiryFrom, formatTable, gatewayReply, parseCommand, parseDuration, refusal, resolveKeyId, rotatedEvent, rotation, toRow } from "../scripts/lib/keys-cli.ts";

const NOW = Date.parse("2026-06-01T12:00:00Z");
/** Only stops a hung test: a wrangler call takes about a second alone, many times that on a busy machine. */
const CLI_TIMEOUT = 240_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Runs `tsx scripts/keys.ts` (what `npm run keys` runs) with the gateway variables cleared.
 * @param {string[]} args
 * @param {{ dir?: string, env?: Record<string, string> }} [opts]
 */
async function keys(args, opts = {}) {
  const env = { ...process.env, ...opts.env };
  if (opts.env?.AIGIS_GATEWAY_URL === undefined) delete env.AIGIS_GATEWAY_URL;
  if (opts.env?.AIGIS_ADMIN_KEY === undefined) delete env.AIGIS_ADMIN_KEY;
  const extra = opts.dir === undefined ? [] : ["--persist-to", opts.dir];
  return runScript("scripts/keys.ts", [...args, ...extra], env);
}

/** @param {import("node:test").TestContext} t */
async function tempState(t) {
  const dir = await mkdtemp(join(tmpdir(), "aigis-keys-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file's bytes under `dir`, as latin1 text (to search for a key). @param {string} dir */
async function allBytes(dir) {
  let text = "";
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) text += (await readFile(join(entry.parentPath ?? entry.path, entry.name))).toString("latin1");
  }
  return text;
}

/**
 * A stand-in for the gateway on loopback: records every request and answers `answer(url, body)`.
 * @param {import("node:test").TestContext} t
 * @param {(url: string | undefined, body: string) => [number, unknown]} answer
 */
async function fakeGateway(t, answer) {
  /** @type {{ method?: string, url?: string, auth?: string, body: string }[]} */
  const seen = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d)).on("end", () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      const [status, reply] = answer(req.url, body);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(reply));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => server.close());
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}`, seen };
}

const AUDIT_NOTE = "note: not recorded in the audit trail: pass --gateway URL (or set AIGIS_GATEWAY_URL) so the gateway records key changes";
/** How often `text` contains `part`. @param {string} text @param {string} part */
const count = (text, part) => text.split(part).length - 1;

const target = (/** @type {string} */ dir) => targetFor({ remote: false, config: join(ROOT, "wrangler.toml"), persistTo: dir });
const near = (/** @type {string} */ iso, /** @type {number} */ expected, tolerance = 60_000) => Math.abs(Date.parse(iso) - expected) < tolerance;

describe("keys: pure parts", () => {
  test("durations and expiry dates", () => {
    assert.equal(parseDuration("24h"), DAY);
    assert.equal(parseDuration("90d"), 90 * DAY);
    assert.equal(parseDuration("0"), 0);
    for (const bad of ["5y", "1.5h", "-1h", "", "h", "0h1"]) assert.throws(() => parseDuration(bad), UsageError, bad);
    assert.equal(expiryFrom("2027-01-01", undefined, NOW), "2027-01-01T00:00:00.000Z");
    assert.equal(expiryFrom(undefined, "30d", NOW), new Date(NOW + 30 * DAY).toISOString());
    assert.throws(() => expiryFrom("2026-05-01", undefined, NOW), /not in the future/);
    assert.throws(() => expiryFrom("2027-01-01T12:00", undefined, NOW), UsageError, "a time without a zone is refused");
    assert.throws(() => expiryFrom(undefined, "0", NOW), UsageError);
  });

  test("command lines", () => {
    const create = parseCommand(["create", "--client", "acme", "--tenant", "t", "--plan", "pro", "--scopes", "chat, admin,,chat", "--models", "gpt-4o", "--json"], {}, NOW);
    assert.deepEqual(create, {
      kind: "create",
      where: { remote: false, env: undefined, config: "wrangler.toml", persistTo: undefined },
      fields: { client_id: "acme", tenant: "t", plan: "pro", name: "", scopes: ["chat", "admin"], models: ["gpt-4o"] },
      gateway: undefined,
      json: true,
    });
    const createArgs = ["create", "--client", "a", "--tenant", "t", "--plan", "p"];
    const viaFlags = parseCommand([...createArgs, "--gateway", "http://localhost:8787/", "--admin-key", "k"], {}, NOW);
    assert.deepEqual(viaFlags.kind === "create" && viaFlags.gateway, { url: "http://localhost:8787", adminKey: "k" });
    const viaEnv = parseCommand(createArgs, { AIGIS_GATEWAY_URL: "https://ai.example.com", AIGIS_ADMIN_KEY: "k2" }, NOW);
    assert.deepEqual(viaEnv.kind === "create" && viaEnv.gateway, { url: "https://ai.example.com", adminKey: "k2" });
    assert.equal(parseCommand(["list"], { AIGIS_GATEWAY_URL: "https://ai.example.com" }, NOW).kind, "list", "list never needs the gateway's admin key");
    const revoke = parseCommand(["revoke", "ABCDEF012345", "--remote", "--env", "production"], { AIGIS_GATEWAY_URL: "https://ai.example.com/", AIGIS_ADMIN_KEY: "k" }, NOW);
    assert.deepEqual(revoke, { kind: "revoke", where: { remote: true, env: "production", config: "wrangler.toml", persistTo: undefined }, keyId: "abcdef012345", gateway: { url: "https://ai.example.com", adminKey: "k" } });
    assert.equal(parseCommand(["list", "-h"], {}, NOW).kind, "help");
    const rotate = parseCommand(["rotate", "abcdef012345"], {}, NOW);
    assert.equal(rotate.kind === "rotate" && rotate.graceMs, DAY);

    /** @param {string[]} argv @param {RegExp} why @param {Record<string, string>} [env] */
    const refused = (argv, why, env = {}) => assert.throws(() => parseCommand(argv, env, NOW), (err) => err instanceof UsageError && why.test(err.message), argv.join(" "));
    refused([], /no command/);
    refused(["destroy"], /unknown command/);
    refused(["list", "--bogus"], /unknown option --bogus/);
    refused(["list", "--gateway", "https://x"], /list does not take --gateway/);
    refused(["create", "--client", "a", "--tenant", "t"], /needs --plan/);
    refused(["create", "--client", "a".repeat(97), "--tenant", "t", "--plan", "p"], /invalid key record/);
    refused(["create", "--client", "a", "--tenant", "t", "--plan", "p", "--models", " , "], /at least one model/);
    refused(["create", "--client", "a", "--tenant", "t", "--plan", "p", "--ttl", "1d", "--expires", "2027-01-01"], /not both/);
    refused(["revoke", fixtureKey("leaked")], /not the key itself/);
    refused(["revoke", "abc"], /not a key id/);
    refused(["revoke", "abcdef012345", "--gateway", "http://ai.example.com", "--admin-key", "k"], /https/);
    refused(["revoke", "abcdef012345", "--gateway", "https://ai.example.com"], /needs an admin key/);
    refused([...createArgs, "--gateway", "http://ai.example.com", "--admin-key", "k"], /https/);
    refused(createArgs, /needs an admin key/, { AIGIS_GATEWAY_URL: "https://ai.example.com" });
    refused(["list", "--remote", "--persist-to", "/tmp/x"], /cannot go with --remote/);
  });

  test("rotation keeps the owner and lifetime, and never lengthens the old key's life", () => {
    const old = KeyRecordSchema.parse({ client_id: "c", tenant: "t", plan: "p", name: "Backend", scopes: ["chat"], models: ["gpt-4o"], created: new Date(NOW - 10 * DAY).toISOString(), expires: new Date(NOW + 20 * DAY).toISOString() });
    const r = rotation(old, { graceMs: 2 * HOUR }, NOW);
    assert.deepEqual(r.fields, { client_id: "c", tenant: "t", plan: "p", name: "Backend (rotated)", scopes: ["chat"], models: ["gpt-4o"], expires: new Date(NOW + 30 * DAY).toISOString() });
    assert.equal(r.oldEnds, new Date(NOW + 2 * HOUR).toISOString());
    assert.equal(rotation(old, { graceMs: 60 * DAY }, NOW).oldEnds, old.expires);
    assert.equal(rotation(old, { graceMs: 0 }, NOW).oldEnds, "now");
    assert.equal(rotation({ ...old, name: "Backend (rotated)" }, { graceMs: 0, expires: "2027-01-01T00:00:00.000Z" }, NOW).fields.name, "Backend (rotated)");
    assert.equal(rotation({ ...old, expires: undefined }, { graceMs: 0 }, NOW).fields.expires, undefined);
  });

  test("audit events: key ids only, in the shape the audit endpoint takes", () => {
    const [hash, oldHash] = ["3f9c0a1b2c3d".padEnd(64, "e"), "0123456789ab".padEnd(64, "f")];
    const fields = { client_id: "acme", tenant: "t1", plan: "pro", name: "Backend", scopes: ["chat", "admin"], models: ["gpt-4o"], expires: "2027-01-01T00:00:00.000Z" };
    const created = createdEvent(fields, hash);
    assert.deepEqual(created, { kind: "key", action: "created", client: "acme", tenant: "t1", detail: { key_id: "3f9c0a1b2c3d", plan: "pro", scopes: "chat,admin", expires: "2027-01-01T00:00:00.000Z" } });
    assert.equal(createdEvent({ ...fields, expires: undefined }, hash).detail.expires, null);
    const rotated = rotatedEvent(fields, hash, { hash: oldHash, ends: "now", changed: true });
    assert.deepEqual(rotated, { kind: "key", action: "rotated", client: "acme", tenant: "t1", detail: { key_id: "3f9c0a1b2c3d", replaces: "0123456789ab", old_key_ends: "now" } });
    assert.equal(rotatedEvent(fields, hash, { hash: oldHash, ends: "now", changed: false }).detail.old_key_changed, false);
    const long = createdEvent({ ...fields, scopes: Array.from({ length: 30 }, (_, i) => `scope-${i}-${"x".repeat(20)}`) }, hash);

    // What src/admin/audit.ts accepts: at most 16 detail fields, snake_case names, short strings.
    for (const event of [created, rotated, long]) {
      const detail = Object.entries(event.detail);
      assert.ok(detail.length <= 16);
      for (const [name, value] of detail) {
        assert.match(name, /^[a-z][a-z0-9_]{0,31}$/);
        assert.ok(value === null || ["number", "boolean"].includes(typeof value) || (typeof value === "string" && value.length <= 200), `${name}: ${value}`);
      }
      const text = JSON.stringify(event);
      assert.ok(!text.includes(hash) && !text.includes(oldHash) && !text.includes("aig_"), "no hash or key in an event");
    }
    // A key where a hash belongs is refused, not cut to an id.
    const key = fixtureKey("audit");
    assert.throws(() => createdEvent(fields, key), /SHA-256 hash only/);
    assert.throws(() => rotatedEvent(fields, hash, { hash: key, ends: "now", changed: true }), /SHA-256 hash only/);
  });

  test("gateway answers: error code and message, hints, control characters replaced", () => {
    const down = gatewayReply(503, JSON.stringify({ error: { message: "audit writer: D1\u001b[31m down", code: "audit_unavailable" } }));
    assert.equal(refusal(down, "no such endpoint"), "HTTP 503 audit_unavailable: audit writer: D1?[31m down");
    assert.equal(refusal(gatewayReply(404, "<html>not found</html>"), "no such endpoint"), "HTTP 404 (no such endpoint)");
    assert.equal(refusal(gatewayReply(401, "{}"), "x"), "HTTP 401 (the admin key was not accepted)");
    assert.deepEqual(gatewayReply(202, JSON.stringify({ accepted: 1, head: 9 })), { status: 202, body: { accepted: 1, head: 9 } });
    assert.deepEqual(gatewayReply(200, "[1]").body, {});
  });

  test("listing rows: status as the gateway decides it, key ids only", () => {
    const hash = "ab".repeat(32);
    const base = { client_id: "c\u001b[31m", tenant: "t", plan: "p", scopes: [] };
    assert.equal(toRow(hash, JSON.stringify(base), NOW).status, "active");
    assert.equal(toRow(hash, JSON.stringify({ ...base, revoked: true }), NOW).status, "revoked");
    assert.equal(toRow(hash, JSON.stringify({ ...base, expires: "2026-05-01T00:00:00Z" }), NOW).status, "expired");
    assert.equal(toRow(hash, JSON.stringify({ ...base, expires: "soon" }), NOW).status, "expired");
    assert.equal(toRow(hash, "{not json", NOW).status, "invalid");
    assert.equal(toRow(hash, JSON.stringify({ tenant: "t" }), NOW).status, "invalid");
    const table = formatTable([toRow(hash, JSON.stringify(base), NOW)]);
    assert.match(table, /^KEY ID +STATUS/);
    assert.ok(table.includes("abababababab") && !table.includes(hash), table);
    assert.ok(!table.includes("\u001b"), "control characters from stored text never reach the terminal");
  });

  test("key ids resolve to one hash or fail", () => {
    const hashes = ["abcdef0123450000".padEnd(64, "0"), "abcdef0123460000".padEnd(64, "1")];
    assert.equal(resolveKeyId(hashes, "abcdef012345"), hashes[0]);
    assert.throws(() => resolveKeyId(hashes, "000000000000"), (err) => err instanceof CliError && /no key with id/.test(err.message));
    assert.throws(() => resolveKeyId(hashes, "abcdef01"), (err) => err instanceof CliError && /matches 2 keys/.test(err.message));
  });
});

describe("keys: the CLI against local KV", { concurrency: true }, () => {
  test("--help, unknown flags and commands (no wrangler call)", async () => {
    const [help, flag, command] = await Promise.all([keys(["--help"]), keys(["list", "--bogus"]), keys(["destroy"])]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: npm run keys -- <command>/);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option --bogus[\s\S]*Usage:/);
    assert.equal(flag.stdout, "");
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command "destroy"/);
  });

  test("create prints the key once; the record validates; list shows key ids, never keys or hashes", { timeout: CLI_TIMEOUT }, async (t) => {
    const dir = await tempState(t);
    const a = await keys(["create", "--client", "acme", "--tenant", "t1", "--plan", "pro", "--name", "ACME backend", "--scopes", "chat,admin", "--ttl", "30d", "--json"], { dir });
    assert.equal(a.code, 0, a.stderr);
    const lines = a.stdout.trim().split("\n");
    assert.equal(lines.length, 1, "--json prints one line");
    const created = JSON.parse(lines[0] ?? "");
    assert.ok(isWellFormedKey(created.key));
    const hashA = await sha256Hex(created.key);
    assert.equal(created.key_id, hashA.slice(0, 12));
    assert.deepEqual([created.client_id, created.tenant, created.plan, created.name, created.scopes], ["acme", "t1", "pro", "ACME backend", ["chat", "admin"]]);
    assert.ok(near(created.expires, Date.now() + 30 * DAY));

    const b = await keys(["create", "--client", "beta", "--tenant", "t2", "--plan", "free"], { dir });
    assert.equal(b.code, 0, b.stderr);
    const keyB = /^ {4}(aig_\S+)$/m.exec(b.stdout)?.[1] ?? "";
    assert.ok(isWellFormedKey(keyB), b.stdout);
    assert.equal(b.stdout.split(keyB).length, 2, "the key is printed exactly once");
    assert.match(b.stdout, /Store it now: it cannot be shown again/);
    const hashB = await sha256Hex(keyB);
    assert.match(b.stdout, new RegExp(`Created key ${hashB.slice(0, 12)} for client beta`));

    // Stored under apikey:<sha256 of the printed key>, valid for the Worker's schema, without the key.
    const stored = await readRecords(target(dir), [hashA, hashB]);
    for (const [hash, client] of /** @type {const} */ ([[hashA, "acme"], [hashB, "beta"]])) {
      const text = stored.get(hash);
      assert.ok(typeof text === "string", `no record under apikey:${hash}`);
      const record = JSON.parse(text);
      assert.equal(KeyRecordSchema.safeParse(record).success, true, text);
      assert.equal(record.client_id, client);
      assert.equal(record.key_id, hash.slice(0, 12));
      assert.ok(!text.includes("aig_"));
    }
    const onDisk = await allBytes(dir);
    assert.ok(!onDisk.includes(created.key) && !onDisk.includes(keyB), "keys are never written to disk");

    // One wrangler at a time per state directory: two local KV instances on one SQLite file race.
    const table = await keys(["list"], { dir });
    const json = await keys(["list", "--client", "beta", "--json"], { dir });
    assert.equal(table.code, 0, table.stderr);
    for (const out of [table.stdout, json.stdout]) {
      assert.ok(!out.includes("aig_") && !out.includes(hashA) && !out.includes(hashB), out);
    }
    assert.match(table.stdout, new RegExp(`^${hashA.slice(0, 12)} +active +acme +t1 +pro .* chat,admin +ACME backend$`, "m"));
    assert.match(table.stdout, new RegExp(`^${hashB.slice(0, 12)} +active +beta +t2 +free `, "m"));
    assert.match(table.stdout, /2 key\(s\) in local CONFIG_KV/);
    const rows = JSON.parse(json.stdout);
    assert.deepEqual(rows.map((/** @type {{ key_id: string }} */ r) => r.key_id), [hashB.slice(0, 12)]);
    assert.deepEqual(Object.keys(rows[0]).sort(), ["client_id", "created", "key_id", "name", "plan", "scopes", "status", "tenant"]);
  });

  test("revoke: unknown id exits 1; a gateway gets the hash; without one KV is marked revoked, with a warning", { timeout: CLI_TIMEOUT }, async (t) => {
    const dir = await tempState(t);
    const key = fixtureKey("revoketest");
    const { keyId, hash } = await seedLocalKey({ key, record: { client_id: "acme", tenant: "t1", plan: "pro", scopes: ["chat"] }, persistTo: dir });
    assert.equal(hash, await sha256Hex(key));

    const { url, seen } = await fakeGateway(t, (_, body) => [200, { revoked: true, client_id: "acme", key_hash: JSON.parse(body).key_hash }]);
    const env = { AIGIS_GATEWAY_URL: url, AIGIS_ADMIN_KEY: "admin-key-for-test" };

    const unknown = await keys(["revoke", "000000000000"], { dir });
    const viaGateway = await keys(["revoke", keyId], { dir, env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no key with id 000000000000/);
    assert.equal(viaGateway.code, 0, viaGateway.stderr);
    assert.ok(viaGateway.stdout.includes(`Revoked key ${keyId} (client acme) through ${url}`), viaGateway.stdout);
    assert.ok(!viaGateway.stderr.includes(AUDIT_NOTE), "the gateway records its own revocation");
    // Exactly the revocation: the gateway records it, the CLI posts no audit event of its own.
    assert.deepEqual(seen, [{ method: "POST", url: "/admin/v1/keys/revoke", auth: "Bearer admin-key-for-test", body: JSON.stringify({ key_hash: hash }) }]);

    const local = await keys(["revoke", keyId], { dir });
    assert.equal(local.code, 0, local.stderr);
    assert.match(local.stdout, new RegExp(`Revoked key ${keyId} \\(client acme\\) in local CONFIG_KV`));
    assert.match(local.stderr, /only KV was changed.*up to about 60 s.*10 s/);
    assert.equal(count(local.stderr, AUDIT_NOTE), 1, local.stderr);
    const record = JSON.parse((await readRecords(target(dir), [hash])).get(hash) ?? "{}");
    assert.equal(record.revoked, true);
    assert.ok(near(record.revoked_at, Date.now()));
    assert.equal(toRow(hash, JSON.stringify(record), Date.now()).status, "revoked");
  });

  test("rotate: same owner for the new key; the old one ends after the grace, or at once with --grace 0", { timeout: CLI_TIMEOUT }, async (t) => {
    const dir = await tempState(t);
    const first = JSON.parse((await keys(["create", "--client", "acme", "--tenant", "t1", "--plan", "pro", "--name", "Backend", "--scopes", "chat", "--models", "gpt-4o-mini", "--ttl", "30d", "--json"], { dir })).stdout);

    const graced = await keys(["rotate", first.key_id, "--grace", "2h", "--json"], { dir });
    assert.equal(graced.code, 0, graced.stderr);
    const second = JSON.parse(graced.stdout);
    assert.ok(isWellFormedKey(second.key) && second.key !== first.key);
    assert.equal(second.key_id, (await sha256Hex(second.key)).slice(0, 12));
    assert.deepEqual([second.client_id, second.tenant, second.plan, second.scopes, second.models, second.name], ["acme", "t1", "pro", ["chat"], ["gpt-4o-mini"], "Backend (rotated)"]);
    assert.equal(second.replaces, first.key_id);
    assert.ok(near(second.old_key_ends, Date.now() + 2 * HOUR), second.old_key_ends);
    assert.ok(near(second.expires, Date.now() + 30 * DAY), "the new key keeps the old key's lifetime");

    const now = await keys(["rotate", second.key_id, "--grace", "0"], { dir });
    assert.equal(now.code, 0, now.stderr);
    const third = /^ {4}(aig_\S+)$/m.exec(now.stdout)?.[1] ?? "";
    assert.ok(isWellFormedKey(third) && now.stdout.split(third).length === 2, now.stdout);
    assert.match(now.stdout, new RegExp(`The old key ${second.key_id} is revoked`));
    assert.match(now.stderr, /only KV was changed/);
    assert.equal(count(now.stderr, AUDIT_NOTE), 1, "one note for the new key and the old key's revocation");

    const hashes = await Promise.all([first.key, second.key, third].map(sha256Hex));
    const stored = await readRecords(target(dir), hashes);
    const [one, two, three] = hashes.map((h) => toRow(h, stored.get(h) ?? "", Date.now()));
    assert.deepEqual([one?.status, one?.expires], ["active", second.old_key_ends]);
    assert.equal(two?.status, "revoked");
    assert.deepEqual([three?.status, three?.name, three?.models], ["active", "Backend (rotated)", ["gpt-4o-mini"]]);
  });

  test("create with a gateway posts one audit event (the admin bearer, key ids only); without one, a note", { timeout: CLI_TIMEOUT }, async (t) => {
    const [dir, bare] = await Promise.all([tempState(t), tempState(t)]);
    const { url, seen } = await fakeGateway(t, () => [202, { accepted: 1, head: 7 }]);
    const args = ["create", "--client", "acme", "--tenant", "t1", "--plan", "pro", "--scopes", "chat,admin", "--ttl", "30d", "--json"];
    const [posted, unposted] = await Promise.all([keys([...args, "--gateway", url, "--admin-key", "admin-key-for-test"], { dir }), keys(args, { dir: bare })]);

    assert.equal(posted.code, 0, posted.stderr);
    const lines = posted.stdout.trim().split("\n");
    assert.equal(lines.length, 1, "--json stdout stays one JSON line");
    const created = JSON.parse(lines[0] ?? "");
    const hash = await sha256Hex(created.key);
    assert.equal(seen.length, 1, JSON.stringify(seen));
    const [post] = seen;
    assert.deepEqual([post?.method, post?.url, post?.auth], ["POST", "/admin/v1/audit/events", "Bearer admin-key-for-test"]);
    assert.deepEqual(JSON.parse(post?.body ?? ""), {
      events: [{ kind: "key", action: "created", client: "acme", tenant: "t1", detail: { key_id: hash.slice(0, 12), plan: "pro", scopes: "chat,admin", expires: created.expires } }],
    });
    assert.ok(!post?.body.includes(created.key) && !post?.body.includes(hash) && !post?.body.includes("aig_"), "no key material in the post");
    assert.ok(!posted.stderr.includes("audit trail"), posted.stderr);

    assert.equal(unposted.code, 0, unposted.stderr);
    assert.ok(isWellFormedKey(JSON.parse(unposted.stdout).key), "the note goes to stderr, not into the JSON");
    assert.equal(count(unposted.stderr, AUDIT_NOTE), 1, unposted.stderr);
    assert.equal(seen.length, 1, "nothing posted without a gateway");
  });

  test("an audit post the gateway refuses: exit 1, but the key is printed and stored", { timeout: CLI_TIMEOUT }, async (t) => {
    const dir = await tempState(t);
    const { url, seen } = await fakeGateway(t, () => [503, { error: { message: "The audit trail is unavailable.", code: "audit_unavailable" } }]);
    const failed = await keys(["create", "--client", "acme", "--tenant", "t1", "--plan", "pro"], { dir, env: { AIGIS_GATEWAY_URL: url, AIGIS_ADMIN_KEY: "admin-key-for-test" } });

    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(seen.length, 1);
    const key = /^ {4}(aig_\S+)$/m.exec(failed.stdout)?.[1] ?? "";
    assert.ok(isWellFormedKey(key), failed.stdout);
    assert.equal(count(failed.stdout, key), 1, "the key is printed exactly once");
    const hash = await sha256Hex(key);
    assert.ok(failed.stderr.includes(`the new key ${hash.slice(0, 12)} is stored, but its creation is not in the audit trail: the gateway refused the audit event: HTTP 503 audit_unavailable`), failed.stderr);
    const stored = (await readRecords(target(dir), [hash])).get(hash);
    assert.ok(typeof stored === "string", "the record was written before the post");
    assert.equal(JSON.parse(stored).client_id, "acme");
  });

  test("rotate --grace 0 with a gateway: the gateway revokes the old key, then the rotation is posted", { timeout: CLI_TIMEOUT }, async (t) => {
    const dir = await tempState(t);
    const { keyId: oldId, hash: oldHash } = await seedLocalKey({ key: fixtureKey("rotateaudit"), record: { client_id: "acme", tenant: "t1", plan: "pro", scopes: ["chat"] }, persistTo: dir });
    const { url, seen } = await fakeGateway(t, (path, body) => (path === "/admin/v1/keys/revoke" ? [200, { revoked: true, client_id: "acme", key_hash: JSON.parse(body).key_hash }] : [202, { accepted: 1, head: 8 }]));
    const rotated = await keys(["rotate", oldId, "--grace", "0", "--json"], { dir, env: { AIGIS_GATEWAY_URL: url, AIGIS_ADMIN_KEY: "admin-key-for-test" } });

    assert.equal(rotated.code, 0, rotated.stderr);
    const out = JSON.parse(rotated.stdout);
    assert.equal(out.old_key_revoked_via, "gateway");
    const hash = await sha256Hex(out.key);
    assert.deepEqual(seen.map((r) => [r.url, r.auth]), [["/admin/v1/keys/revoke", "Bearer admin-key-for-test"], ["/admin/v1/audit/events", "Bearer admin-key-for-test"]]);
    assert.deepEqual(JSON.parse(seen[1]?.body ?? ""), {
      events: [{ kind: "key", action: "rotated", client: "acme", tenant: "t1", detail: { key_id: hash.slice(0, 12), replaces: oldId, old_key_ends: "now" } }],
    });
    assert.ok(!seen[1]?.body.includes(oldHash) && !seen[1]?.body.includes(hash) && !seen[1]?.body.includes("aig_"));
    assert.ok(!rotated.stderr.includes(AUDIT_NOTE), rotated.stderr);
  });
});
