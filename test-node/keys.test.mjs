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
import { CliError, UsageError, expiryFrom, formatTable, parseCommand, parseDuration, resolveKeyId, rotation, toRow } from "../scripts/lib/keys-cli.ts";

const NOW = Date.parse("2026-06-01T12:00:00Z");
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
      json: true,
    });
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

  test("create prints the key once; the record validates; list shows key ids, never keys or hashes", { timeout: 60_000 }, async (t) => {
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

  test("revoke: unknown id exits 1; a gateway gets the hash; without one KV is marked revoked, with a warning", { timeout: 60_000 }, async (t) => {
    const dir = await tempState(t);
    const key = fixtureKey("revoketest");
    const { keyId, hash } = await seedLocalKey({ key, record: { client_id: "acme", tenant: "t1", plan: "pro", scopes: ["chat"] }, persistTo: dir });
    assert.equal(hash, await sha256Hex(key));

    /** @type {{ method?: string, url?: string, auth?: string, body: string }[]} */
    const seen = [];
    const gateway = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d)).on("end", () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ revoked: true, client_id: "acme", key_hash: JSON.parse(body).key_hash }));
      });
    });
    gateway.listen(0, "127.0.0.1");
    await once(gateway, "listening");
    t.after(() => gateway.close());
    const address = /** @type {import("node:net").AddressInfo} */ (gateway.address());
    const env = { AIGIS_GATEWAY_URL: `http://127.0.0.1:${address.port}`, AIGIS_ADMIN_KEY: "admin-key-for-test" };

    const unknown = await keys(["revoke", "000000000000"], { dir });
    const viaGateway = await keys(["revoke", keyId], { dir, env });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no key with id 000000000000/);
    assert.equal(viaGateway.code, 0, viaGateway.stderr);
    assert.match(viaGateway.stdout, new RegExp(`Revoked key ${keyId} \\(client acme\\) through http://127\\.0\\.0\\.1:${address.port}`));
    assert.deepEqual(seen, [{ method: "POST", url: "/admin/v1/keys/revoke", auth: "Bearer admin-key-for-test", body: JSON.stringify({ key_hash: hash }) }]);

    const local = await keys(["revoke", keyId], { dir });
    assert.equal(local.code, 0, local.stderr);
    assert.match(local.stdout, new RegExp(`Revoked key ${keyId} \\(client acme\\) in local CONFIG_KV`));
    assert.match(local.stderr, /only KV was changed.*up to about 60 s.*10 s/);
    const record = JSON.parse((await readRecords(target(dir), [hash])).get(hash) ?? "{}");
    assert.equal(record.revoked, true);
    assert.ok(near(record.revoked_at, Date.now()));
    assert.equal(toRow(hash, JSON.stringify(record), Date.now()).status, "revoked");
  });

  test("rotate: same owner for the new key; the old one ends after the grace, or at once with --grace 0", { timeout: 60_000 }, async (t) => {
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

    const hashes = await Promise.all([first.key, second.key, third].map(sha256Hex));
    const stored = await readRecords(target(dir), hashes);
    const [one, two, three] = hashes.map((h) => toRow(h, stored.get(h) ?? "", Date.now()));
    assert.deepEqual([one?.status, one?.expires], ["active", second.old_key_ends]);
    assert.equal(two?.status, "revoked");
    assert.deepEqual([three?.status, three?.name, three?.models], ["active", "Backend (rotated)", ["gpt-4o-mini"]]);
  });
});
