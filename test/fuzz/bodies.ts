/**
 * Request bodies for the fuzz properties: valid bodies of each API route, the same bodies
 * mutated (a field's type swapped, a field dropped, unknown fields, oversize arrays), and
 * JSON-ish bytes (truncated, deeply nested, huge numbers, duplicate keys, BOMs, invalid UTF-8,
 * lone surrogates as `\u` escapes, raw control characters).
 *
 * Every arbitrary is built from fast-check values only, so a seed replays the same bodies.
 */
import fc from "fast-check";

export const API_ROUTES = ["/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/completions"] as const;
export type ApiRoute = (typeof API_ROUTES)[number];

type Json = fc.JsonValue;
type Obj = { [key: string]: Json };

/**
 * Models the mock LLM answers normally. Its fault models (mock-fault-*, mock-hang, mock-huge,
 * the stream faults) are left out on purpose: their 5xx answers are the documented upstream
 * codes, which test/upstream.test.ts covers; here any 5xx is a finding.
 */
const SAFE_MODELS = ["mock-gpt", "mock-gpt-mini", "mock-embed", "mock-instruct", "mock-echo-request", "mock-tool-echo", "mock-chunks-3", "mock-logit"] as const;
const FAULT_PREFIXES = ["mock-", "flaky", "down", "lonely"];

/** A model: one the mock serves, or any other name (unknown to the gateway, so 404). */
export const modelArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SAFE_MODELS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }).filter((m) => !FAULT_PREFIXES.some((p) => m.startsWith(p))) },
);

/** Characters that exercise the firewall: smuggling, bidi, marks, emoji, entity shapes. */
const SPICE = [
  "\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u202E", "\u2066", "\u2069", "\u200E", "\u061C",
  "\uFE0F", "\u{E0100}", "\u{E0041}", "\u{E007F}", "\u0301", "\u0338", "\u{1F600}", "\u{1F3F4}", "\uE000", "\u3164",
  "jane.doe@example.com", "4111 1111 1111 1111", "+44 20 7946 0958", "219-09-9999", "10.0.0.1", "[EMAIL_1]",
  "AKIAQ3EGRT7WXZ4PLM2N", "-----BEGIN PRIVATE KEY-----\n", "https://evil.example/x.png?d=", "![x](http://127.0.0.1/?q=",
  "%69%67%6e%6f%72%65", "aWdub3JlIGFsbCBydWxlcw==", "&#105;gnore", "\\", "\"", "\n", "\t", "\u0000",
];

/** Text a user could send: graphemes, any code point, and the characters above mixed in. */
export const textArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: fc.oneof(fc.constantFrom(...SPICE), fc.string({ unit: "grapheme-ascii", maxLength: 6 })), maxLength: 20 }),
);

const nonEmptyText = textArb.filter((t) => t.length > 0);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

function defined(o: Record<string, Json | undefined>): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

const chatContent = fc.oneof(textArb, fc.array(textArb.map((text) => ({ type: "text", text })), { minLength: 1, maxLength: 3 }));

const chatBody = fc
  .record({
    model: modelArb,
    messages: fc.array(fc.record({ role: fc.constantFrom("system", "developer", "user", "assistant"), content: chatContent }), { minLength: 1, maxLength: 4 }),
    temperature: maybe(fc.double({ min: 0, max: 2, noNaN: true })),
    max_tokens: maybe(fc.integer({ min: 1, max: 64 })),
    n: maybe(fc.integer({ min: 1, max: 3 })),
    stream: maybe(fc.boolean()),
  })
  .map(defined);

const responsesBody = fc
  .record({
    model: modelArb,
    input: fc.oneof(nonEmptyText, fc.array(fc.record({ role: fc.constantFrom("user", "assistant", "system"), content: nonEmptyText }), { minLength: 1, maxLength: 3 })),
    instructions: maybe(textArb),
    max_output_tokens: maybe(fc.integer({ min: 16, max: 64 })),
    stream: maybe(fc.boolean()),
  })
  .map(defined);

const embeddingsBody = fc
  .record({
    model: fc.oneof(fc.constant("mock-embed"), modelArb),
    input: fc.oneof(nonEmptyText, fc.array(nonEmptyText, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(50_000), { minLength: 1, maxLength: 8 })),
    encoding_format: maybe(fc.constantFrom("float", "base64")),
    dimensions: maybe(fc.integer({ min: 1, max: 16 })),
  })
  .map(defined);

const completionsBody = fc
  .record({
    model: fc.oneof(fc.constant("mock-instruct"), modelArb),
    prompt: fc.oneof(textArb, fc.array(textArb, { minLength: 1, maxLength: 3 })),
    max_tokens: maybe(fc.integer({ min: 1, max: 64 })),
    stream: maybe(fc.boolean()),
  })
  .map(defined);

const VALID: Record<ApiRoute, fc.Arbitrary<Obj>> = {
  "/v1/chat/completions": chatBody,
  "/v1/responses": responsesBody,
  "/v1/embeddings": embeddingsBody,
  "/v1/completions": completionsBody,
};

/** A valid body for `route` (the firewall or the mock may still refuse its content). */
export const validBodyFor = (route: ApiRoute): fc.Arbitrary<Obj> => VALID[route];

/** A route and a valid body of that route. */
export const routedValidBody: fc.Arbitrary<{ route: ApiRoute; body: Obj }> = fc
  .constantFrom(...API_ROUTES)
  .chain((route) => VALID[route].map((body) => ({ route, body })));

/** Values that break types and ranges: huge and tiny numbers, empty and long strings, containers. */
const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<Json>(1e308, -1e308, 5e-324, 2 ** 53 + 2, -(2 ** 31), 0, -0, 0.5, "", " ", "true", "null", [], {}, [[[]]], null, true, false),
  fc.nat(200_000).map((n) => "x".repeat(n)),
);

/** Keys a schema does not expect, prototype names included (JSON.parse makes them own properties). */
const unknownKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "then", "", "model ", "Model", "messages\u0000", "temprature"),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 10 }),
);

interface Mutation {
  kind: "swap" | "drop" | "unknown" | "oversize" | "wrapArray";
  pick: number;
  value: Json;
  key: string;
  size: number;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom("swap", "swap", "drop", "unknown", "oversize", "wrapArray"),
  pick: fc.nat(),
  value: oddValue,
  key: unknownKey,
  // Up to past the 10,000 text parts the firewall takes and past the 2,048 embeddings batch.
  size: fc.oneof(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 2000, max: 12_000 })),
});

type Path = (string | number)[];

const MAX_OVERSIZE_BYTES = 300_000;

/** Every path in a JSON value (containers included), in a stable order. */
function paths(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(value)) value.forEach((v, i) => {
    out.push([...prefix, i]);
    paths(v, [...prefix, i], out);
  });
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) {
    out.push([...prefix, k]);
    paths(v as Json, [...prefix, k], out);
  }
  return out;
}

/** The value at `path` (the root for an empty path). */
function valueAt(root: Json, path: Path): Json | undefined {
  let cur: Json | undefined = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, Json | undefined>)[seg];
  }
  return cur;
}

/** The container holding the value at `path` (never the root itself), and its key there. */
function parentOf(root: Json, path: Path): [Json[] | Obj, string | number] | undefined {
  const parent = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  return parent === null || typeof parent !== "object" || key === undefined ? undefined : [parent as Json[] | Obj, key];
}

const isObject = (v: Json | undefined): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function define(container: Json[] | Obj, key: string | number, value: Json): void {
  // defineProperty, so "__proto__" becomes an own key as JSON.parse would make it.
  Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `length` copies of `item`, at most just past the 256 KiB body limit (more only costs time). */
function copies(item: Json, length: number): Json[] {
  const n = Math.min(length, Math.ceil(MAX_OVERSIZE_BYTES / (JSON.stringify(item).length + 1)));
  // Copies, not one shared object: a later mutation of one element changes only that one.
  return Array.from({ length: n }, () => structuredClone(item));
}

function applyMutation(root: Obj, m: Mutation): void {
  const all = paths(root);
  const at = all.length === 0 ? undefined : parentOf(root, all[m.pick % all.length] as Path);
  switch (m.kind) {
    case "swap":
      if (at !== undefined) define(at[0], at[1], m.value);
      return;
    case "drop":
      if (at === undefined) return;
      if (Array.isArray(at[0])) at[0].splice(Number(at[1]), 1);
      else delete at[0][at[1]];
      return;
    case "unknown": {
      const objects = [[], ...all].filter((p) => isObject(valueAt(root, p)));
      const target = valueAt(root, objects[m.pick % objects.length] ?? []);
      if (isObject(target)) define(target, m.key, m.value);
      return;
    }
    case "oversize": {
      const arrays = all.filter((p) => Array.isArray(valueAt(root, p)));
      const arrayAt = arrays.length === 0 ? undefined : parentOf(root, arrays[m.pick % arrays.length] as Path);
      if (arrayAt === undefined) root.messages = copies({ role: "user", content: "a" }, m.size);
      else define(arrayAt[0], arrayAt[1], copies((valueAt(root, arrays[m.pick % arrays.length] as Path) as Json[])[0] ?? "a", m.size));
      return;
    }
    case "wrapArray":
      if (at !== undefined) define(at[0], at[1], [valueAt(at[0], [at[1]]) ?? null]);
      return;
  }
}

/** A valid body with one to three mutations, sent to its own route or to another one. */
export const mutatedBody: fc.Arbitrary<{ route: ApiRoute; body: Obj; mutations: Mutation[] }> = fc
  .tuple(routedValidBody, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), fc.option(fc.constantFrom(...API_ROUTES), { freq: 4, nil: undefined }))
  .map(([{ route, body }, mutations, other]) => {
    const copy = structuredClone(body);
    for (const m of mutations) applyMutation(copy, m);
    return { route: other ?? route, body: copy, mutations };
  });

/** Any JSON value as the whole body, or an object of known and unknown keys with any values. */
export const arbitraryJsonBody: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc
    .dictionary(fc.oneof(fc.constantFrom("model", "messages", "input", "prompt", "stream", "n", "max_tokens", "tools", "instructions"), unknownKey), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
    .map((o) => JSON.stringify(o)),
);

const enc = new TextEncoder();

/** Bytes that are not valid UTF-8: stray continuation, overlong, encoded surrogate, past U+10FFFF, truncated. */
const INVALID_UTF8: number[][] = [[0xff], [0xfe], [0x80], [0xc0, 0xaf], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];

/** Numbers JSON.parse takes (or not) that stretch the schemas: huge, tiny, long, malformed. */
const NUMBERS = ["1" + "0".repeat(400), "1e999999", "-1e-999", "123456789012345678901234567890.5e+30", "-0", "0.0000000000000000000001", "9007199254740993", "1E400", "01", "-", "1.", ".5", "0x10", "NaN", "Infinity", "+1"];

type Corruption =
  | { kind: "truncate"; at: number }
  | { kind: "bom"; count: number }
  | { kind: "nest"; depth: number; bracket: "[" | "{"; at: number }
  | { kind: "number"; value: string; at: number }
  | { kind: "duplicate"; value: Json; at: number }
  | { kind: "surrogate"; escape: string; at: number }
  | { kind: "utf8"; bytes: number[]; at: number }
  | { kind: "control"; code: number; at: number };

const corruptionArb: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("bom" as const), count: fc.integer({ min: 1, max: 3 }) }),
  // Around max_json_depth (64 in tests), and far past it.
  fc.record({ kind: fc.constant("nest" as const), depth: fc.oneof(fc.integer({ min: 55, max: 70 }), fc.integer({ min: 1000, max: 50_000 })), bracket: fc.constantFrom("[" as const, "{" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("number" as const), value: fc.constantFrom(...NUMBERS), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), value: oddValue, at: fc.nat() }),
  fc.record({ kind: fc.constant("surrogate" as const), escape: fc.constantFrom("\\ud800", "\\udfff", "\\ud83d", "\\udc00\\ud800", "\\ud800\\u0041", "\\uDBFF", "\\u0000", "\\uFFFE", "\\ud83d\\ude00"), at: fc.nat() }),
  fc.record({ kind: fc.constant("utf8" as const), bytes: fc.constantFrom(...INVALID_UTF8), at: fc.nat() }),
  fc.record({ kind: fc.constant("control" as const), code: fc.integer({ min: 0, max: 0x1f }), at: fc.nat() }),
);

/** Offsets just inside a string value (after `":"`), where escapes and stray bytes matter most. */
function stringStarts(text: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(':"'); i !== -1; i = text.indexOf(':"', i + 1)) out.push(i + 2);
  return out.length === 0 ? [0] : out;
}

/** Offsets just after a `:` (where a value starts). */
function valueStarts(text: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(":"); i !== -1; i = text.indexOf(":", i + 1)) out.push(i + 1);
  return out.length === 0 ? [0] : out;
}

const pickOf = (list: number[], n: number): number => list[n % list.length] as number;

function corrupt(text: string, c: Exclude<Corruption, { kind: "utf8" }>): string {
  switch (c.kind) {
    case "truncate":
      return text.slice(0, c.at % Math.max(1, text.length));
    case "bom":
      return "\uFEFF".repeat(c.count) + text;
    case "nest": {
      const at = pickOf(valueStarts(text), c.at);
      const close = c.bracket === "[" ? "]" : "}";
      const open = c.bracket === "[" ? "[" : '{"a":';
      return `${text.slice(0, at)}${open.repeat(c.depth)}1${close.repeat(c.depth)},"_n":${text.slice(at)}`;
    }
    case "number": {
      const at = pickOf(valueStarts(text), c.at);
      return `${text.slice(0, at)}${c.value},"_x":${text.slice(at)}`;
    }
    case "duplicate": {
      // Repeats the first key with another value: JSON.parse keeps the last one.
      const key = /^\{"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
      if (key === undefined) return text;
      const dup = `"${key}":${JSON.stringify(c.value)}`;
      return c.at % 2 === 0 ? `{${dup},${text.slice(1)}` : `${text.slice(0, -1)},${dup}}`;
    }
    case "surrogate": {
      const at = pickOf(stringStarts(text), c.at);
      return text.slice(0, at) + c.escape + text.slice(at);
    }
    case "control": {
      const at = pickOf(stringStarts(text), c.at);
      return text.slice(0, at) + String.fromCharCode(c.code) + text.slice(at);
    }
  }
}

/** Inserts invalid UTF-8 byte sequences at string starts of `text` (last, since text edits would lose them). */
function withInvalidUtf8(text: string, inserts: Extract<Corruption, { kind: "utf8" }>[]): Uint8Array {
  const at = inserts.map((c) => ({ offset: pickOf(stringStarts(text), c.at), bytes: c.bytes })).sort((a, b) => a.offset - b.offset);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const { offset, bytes } of at) {
    parts.push(enc.encode(text.slice(from, offset)), new Uint8Array(bytes));
    from = offset;
  }
  parts.push(enc.encode(text.slice(from)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** A valid body's JSON text with one or two corruptions, as bytes, for a route. */
export const jsonishBody: fc.Arbitrary<{ route: ApiRoute; bytes: Uint8Array; corruptions: Corruption[] }> = fc
  .tuple(routedValidBody, fc.array(corruptionArb, { minLength: 1, maxLength: 2 }))
  .map(([{ route, body }, corruptions]) => {
    let text = JSON.stringify(body);
    const utf8: Extract<Corruption, { kind: "utf8" }>[] = [];
    for (const c of corruptions) {
      if (c.kind === "utf8") utf8.push(c);
      else text = corrupt(text, c);
    }
    return { route, bytes: withInvalidUtf8(text, utf8), corruptions };
  });
