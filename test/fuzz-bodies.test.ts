/**
 * Property-based fuzzing of request bodies against the real Worker (issue 9, point 1): any
 * JSON value, JSON-ish bytes and mutated valid bodies, on every API route. Whatever arrives,
 * the answer is never 5xx, always an OpenAI-shaped error with a stable code (or a real
 * answer), always carries `x-request-id`, and the isolate keeps serving afterwards.
 *
 * Runs, seed and replay: test/fuzz/run.ts and docs/testing.md.
 */
import fc from "fast-check";
import { describe } from "vitest";
import { API_ROUTES, arbitraryJsonBody, jsonishBody, mutatedBody } from "./fuzz/bodies";
import { fuzzClient, send, stillServes, wellFormed } from "./fuzz/gateway";
import { itFuzz } from "./fuzz/run";

const json = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });

describe("fuzz: request bodies", () => {
  let key = "";
  const after = () => stillServes(key);

  itFuzz(
    "any JSON value as the body gets a 4xx with a known code",
    40,
    async () => {
      key = await fuzzClient();
      return fc.asyncProperty(fc.constantFrom(...API_ROUTES), arbitraryJsonBody, async (route, body) => {
        await wellFormed(await send(route, { headers: json(key), body }), `${route} ${body.slice(0, 200)}`);
      });
    },
    { after },
  );

  itFuzz(
    "JSON-ish bytes: truncated, nested, huge numbers, duplicate keys, BOMs, bad UTF-8, lone surrogates",
    60,
    async () => {
      key = await fuzzClient();
      return fc.asyncProperty(jsonishBody, async ({ route, bytes, corruptions }) => {
        await wellFormed(await send(route, { headers: json(key), body: bytes }), `${route} ${JSON.stringify(corruptions).slice(0, 300)}`);
      });
    },
    { after },
  );

  itFuzz(
    "mutated valid bodies: types swapped, fields dropped, unknown fields, oversize arrays",
    80,
    async () => {
      key = await fuzzClient();
      return fc.asyncProperty(mutatedBody, async ({ route, body, mutations }) => {
        const text = JSON.stringify(body);
        await wellFormed(await send(route, { headers: json(key), body: text }), `${route} ${mutations.map((m) => m.kind).join("+")} ${text.slice(0, 300)}`);
      });
    },
    { after, msPerRun: 200 },
  );
});
