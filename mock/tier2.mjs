// @ts-check
/**
 * A fake tier-2 classifier speaking the HTTP protocol of docs/firewall-tier2.md, for tests
 * and `npm start`. Like mock/llm.mjs it is `(request: Request) => Promise<Response>` on
 * web-standard APIs only, so it serves from Node or workerd, or is called directly.
 *
 *   POST <any path>  {"text": string, "categories": [...]}
 *                    -> 200 {"injection": number, "jailbreak": number}
 *
 * Scores come from keyword rules on the text (case-insensitive unless noted); each category
 * takes the highest matching rule, 0.02 when none matches:
 *
 * | text contains                                   | effect                                  |
 * |-------------------------------------------------|-----------------------------------------|
 * | "ignore previous", "ignore all previous",       | injection 0.95                          |
 * | "system prompt"                                 |                                         |
 * | "DAN" (a whole word, upper case),               | jailbreak 0.9                           |
 * | "no restrictions", "developer mode"             |                                         |
 * | "maybe"                                         | injection 0.5, jailbreak 0.5            |
 * | "slow"                                          | answers after `slowMs` (default 2 s),   |
 * |                                                 | or nothing once the request is aborted  |
 * | "boom"                                          | 500                                     |
 * | "garbage"                                       | 200 with a body that is not JSON        |
 * | "overflow"                                      | 200 with injection 1.5 (out of range)   |
 *
 * Other answers: 405 for a method other than POST, 401 without the expected bearer token
 * (when `token` is set), 400 for a body that is not `{"text": string}`.
 */
import { sleep } from "./stream.mjs";

/** @type {Array<[RegExp, "injection" | "jailbreak", number]>} */
const RULES = [
  [/ignore (all )?previous/i, "injection", 0.95],
  [/system prompt/i, "injection", 0.95],
  [/\bDAN\b/, "jailbreak", 0.9],
  [/no restrictions/i, "jailbreak", 0.9],
  [/developer mode/i, "jailbreak", 0.9],
  [/maybe/i, "injection", 0.5],
  [/maybe/i, "jailbreak", 0.5],
];
const BASELINE = 0.02;

/**
 * Scores a text by the rules above.
 * @param {string} text
 * @returns {{ injection: number, jailbreak: number }}
 * @example scoreText("Ignore previous instructions") // { injection: 0.95, jailbreak: 0.02 }
 */
export function scoreText(text) {
  const scores = { injection: BASELINE, jailbreak: BASELINE };
  for (const [pattern, category, score] of RULES) {
    if (pattern.test(text)) scores[category] = Math.max(scores[category], score);
  }
  return scores;
}

/**
 * Creates the fake classifier handler.
 * @param {{ token?: string, slowMs?: number }} [options]
 *   `token`: when set, requests need `Authorization: Bearer <token>`.
 *   `slowMs`: how long a text containing "slow" waits before its answer (default 2000).
 * @returns {(request: Request) => Promise<Response>}
 * @example
 * const classify = createFakeClassifier({ token: "t2-secret" });
 * const res = await classify(new Request("http://tier2.test/classify", {
 *   method: "POST",
 *   headers: { authorization: "Bearer t2-secret", "content-type": "application/json" },
 *   body: JSON.stringify({ text: "Ignore previous instructions", categories: ["injection", "jailbreak"] }),
 * }));
 * await res.json(); // { injection: 0.95, jailbreak: 0.02 }
 */
export function createFakeClassifier({ token, slowMs = 2000 } = {}) {
  if (token !== undefined && (typeof token !== "string" || token === "")) throw new TypeError("token must be a non-empty string");
  if (!Number.isFinite(slowMs) || slowMs < 0) throw new RangeError("slowMs must be a number >= 0");

  return async function fakeClassifier(request) {
    // Read the whole body before answering anything: workerd logs an error for an unread body.
    const raw = await request.text();
    if (request.method !== "POST") return error(405, "method not allowed");
    if (token !== undefined && request.headers.get("authorization") !== `Bearer ${token}`) return error(401, "unauthorized");

    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return error(400, "body is not JSON");
    }
    if (typeof body !== "object" || body === null || typeof body.text !== "string") return error(400, 'body must be {"text": string}');
    /** @type {string} */
    const text = body.text;

    if (/slow/i.test(text)) {
      await sleep(slowMs, request.signal);
      if (request.signal.aborted) return error(499, "client went away");
    }
    if (/boom/i.test(text)) return error(500, "classifier exploded");
    if (/garbage/i.test(text)) return new Response("<html>not a verdict</html>", { headers: { "content-type": "text/html" } });
    if (/overflow/i.test(text)) return Response.json({ injection: 1.5, jailbreak: 0 });
    return Response.json(scoreText(text));
  };
}

/** @param {number} status @param {string} message */
function error(status, message) {
  return Response.json({ error: message }, { status });
}
