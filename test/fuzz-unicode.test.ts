/**
 * Property-based fuzzing of Unicode in prompts against the real Worker (issue 9, point 1):
 * any string in a user message is answered without a 5xx, and what is forwarded carries none
 * of the characters the firewall always strips; and known attacks obfuscated with smuggling
 * characters (docs/firewall.md, "Normalisation before detection") are still blocked, wherever
 * in the request they stand, so the provider never sees them.
 *
 * Runs, seed and replay: test/fuzz/run.ts and docs/testing.md.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fuzzClient, releaseClient, send, stillServes, wellFormed } from "./fuzz/gateway";
import { itFuzz } from "./fuzz/run";
import { anyUnicode, BLOCKED_ATTACKS, carrying, placementArb, smuggledAttack } from "./fuzz/unicode";

const json = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });

/**
 * Characters docs/firewall.md lists as smuggling with no legitimate use that is kept: bidi
 * controls, soft hyphen, word joiner, BMP private use. Under the default `smuggling: strip`
 * none of them may reach the provider. (Zero-width joiners, variation selectors and tags
 * have kept uses: emoji, Persian and Indic words, flags.)
 */
const ALWAYS_STRIPPED = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u00ad\u2060\ue000-\uf8ff]/u;

/** What the provider received: mock-echo-request answers with the request it got. */
function forwardedOf(text: string): unknown {
  const body = JSON.parse(text) as { choices: { message: { content: string } }[] };
  return (JSON.parse(body.choices[0]?.message.content ?? "{}") as { body: unknown }).body;
}

describe("fuzz: Unicode in prompts", () => {
  let key = "";
  const after = () => stillServes(key);

  itFuzz(
    "any string in a user message: no 5xx, and nothing the firewall always strips is forwarded",
    80,
    async () => {
      // Response protection off, so the echo shows exactly what the provider received.
      key = await fuzzClient({ output: { mode: "off" } });
      return fc.asyncProperty(anyUnicode, fc.option(anyUnicode, { nil: undefined }), async (user, system) => {
        const messages = [...(system === undefined ? [] : [{ role: "system", content: system }]), { role: "user", content: user }];
        const what = JSON.stringify(messages);
        const answer = await wellFormed(await send("/v1/chat/completions", { headers: json(key), body: JSON.stringify({ model: "mock-echo-request", messages }) }), what);
        if (answer.status === 400) {
          expect(["invalid_unicode", "prompt_blocked"], `${what} -> ${answer.code}`).toContain(answer.code);
          return;
        }
        expect(answer.status, what).toBe(200);
        const forwarded = JSON.stringify(forwardedOf(answer.text));
        expect(ALWAYS_STRIPPED.test(forwarded), `${what} forwarded as ${forwarded}`).toBe(false);
      });
    },
    { after },
  );

  it("each attack the next property obfuscates is blocked as it is (default rules)", async () => {
    const key = await fuzzClient();
    for (const attack of BLOCKED_ATTACKS) {
      const { route, body } = carrying("chat-user", attack);
      const answer = await wellFormed(await send(route, { headers: json(key), body: JSON.stringify(body) }), attack);
      expect(answer.code, attack).toBe("prompt_blocked");
    }
    await releaseClient();
  });

  itFuzz(
    "attacks hidden behind smuggling characters are still blocked, wherever they stand",
    60,
    async () => {
      key = await fuzzClient();
      return fc.asyncProperty(smuggledAttack, placementArb, async ({ text }, where) => {
        const { route, body } = carrying(where, text);
        const what = `${where} ${JSON.stringify(text)}`;
        const answer = await wellFormed(await send(route, { headers: json(key), body: JSON.stringify(body) }), what);
        // Blocked means the provider was never called: the request is not forwarded at all.
        expect(`${answer.status} ${answer.code ?? ""}`, `${what} reached the provider as ${answer.text.slice(0, 400)}`).toBe("400 prompt_blocked");
      });
    },
    { after },
  );
});
