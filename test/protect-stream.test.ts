import { describe, expect, it } from "vitest";
import { entityScanner, mayHoldEntity } from "../src/protect/entities";
import { restoreScanner } from "../src/protect/restore";
import { StreamTextGuard, protectText } from "../src/protect/stream-text";
import type { OutputAction, OutputScanner, Release } from "../src/protect/types";
import { B64, B64URL, UPPER36, b64url, fake, pemBody } from "./fakes";


const ORIGINAL = "bob@example.org";
const originals = new Map([["[EMAIL_1]", ORIGINAL]]);
const scanners = (action: (type: string) => OutputAction = () => "redact"): OutputScanner[] => [
  entityScanner({ action }),
  restoreScanner(originals),
];

/** Streams `chunks` through a fresh guard and returns everything sent. */
function stream(chunks: readonly string[], s: readonly OutputScanner[] = scanners(), maxHold?: number): Release {
  const guard = new StreamTextGuard({ scanners: s, maxHold });
  const out: Release = { text: "", findings: [], blocked: false };
  for (const r of [...chunks.map((c) => guard.push(c)), guard.flush()]) {
    out.text += r.text;
    out.findings.push(...r.findings);
    out.blocked ||= r.blocked;
  }
  return out;
}

const ENTITIES: Record<string, string> = {
  email: "alice.smith@example.com",
  phone: "+44 20 7946 0958",
  card: "4111 1111 1111 1111",
  iban: "GB82 WEST 1234 5698 7654 32",
  openai: `sk-proj-${fake(3, 124, B64URL)}`,
  aws: `AKIA${fake(1, 16, UPPER36)}`,
  github: `ghp_${fake(2, 36)}`,
  jwt: `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ sub: "1234567890", iat: 1516239022 })}.${fake(11, 43, B64URL)}`,
  pem: `-----BEGIN EC PRIVATE KEY-----\n${pemBody(1, 2)}\n-----END EC PRIVATE KEY-----`,
  password: "password: hunter2!x",
  placeholder: "[EMAIL_1]",
  // Entities with inner words and punctuation, beyond the shapes above.
  dob: "date of birth: 12 March 1990",
  phoneParens: "call (555) 123-4567",
  name: "Mr. John Smith",
  // A placeholder restored after the detectors ran must not run into what follows and hide it.
  placeholderThenKey: `[EMAIL_1]AKIA${fake(4, 16, UPPER36)}`,
};
/** What must never reach the client for each entity (the placeholder must be restored). */
const SECRET_PART: Record<string, string> = {
  ...ENTITIES,
  password: "hunter2",
  dob: "12 March 1990",
  phoneParens: "123-4567",
  name: "John Smith",
  placeholderThenKey: ENTITIES.placeholderThenKey!.slice("[EMAIL_1]".length),
};

describe("every split of an entity gives the one-shot result", () => {
  for (const [name, entity] of Object.entries(ENTITIES)) {
    const text = `prefix ${entity} suffix`;
    it(`${name}: one-shot rewrites it`, () => {
      const once = protectText(text, scanners()).text;
      expect(once.startsWith("prefix ") && once.endsWith(" suffix")).toBe(true);
      expect(once).not.toContain(SECRET_PART[name]);
      if (name === "placeholder") expect(once).toBe(`prefix ${ORIGINAL} suffix`);
      else expect(once).toMatch(/\[[A-Z_]+_REDACTED\]/);
      // protectText is push + flush on a fresh guard.
      expect(stream([text]).text).toBe(once);
    });
    it(`${name}: two chunks, every offset`, () => {
      const once = protectText(text, scanners()).text;
      for (let i = 0; i <= text.length; i++) {
        const out = stream([text.slice(0, i), text.slice(i)]).text;
        if (out !== once) expect({ i, out }).toEqual({ i, out: once });
      }
    });
    it(`${name}: three chunks, every pair of offsets`, () => {
      const once = protectText(text, scanners()).text;
      for (let i = 0; i <= text.length; i++) {
        for (let j = i; j <= text.length; j++) {
          const out = stream([text.slice(0, i), text.slice(i, j), text.slice(j)]).text;
          if (out !== once) expect({ i, j, out }).toEqual({ i, j, out: once });
        }
      }
    });
  }

  it("one character at a time, all entities in one text", () => {
    const text = Object.values(ENTITIES).join(" and then ");
    const once = protectText(text, scanners());
    expect(stream([...text]).text).toBe(once.text);
    expect(stream([...text]).findings).toEqual(once.findings);
    for (const [name, part] of Object.entries(SECRET_PART)) {
      if (name !== "placeholder") expect(once.text).not.toContain(part);
    }
  });
});

describe("the detectors' pre-check", () => {
  it("lets every entity through to the detectors, and skips lower-case prose", () => {
    for (const [name, entity] of Object.entries(ENTITIES)) {
      if (name !== "placeholder") expect(mayHoldEntity(entity), name).toBe(true);
    }
    for (const word of ["my pw is x", "pin", "born on", "Élodie"]) expect(mayHoldEntity(word), word).toBe(true);
    expect(mayHoldEntity("sure, here is the summary you asked for. it covers three points")).toBe(false);
  });
});

describe("holding", () => {
  it("lets prose through: only the last, unfinished word is held", () => {
    const guard = new StreamTextGuard({ scanners: scanners() });
    const deltas = ["Hello,", " how", " are", " you", " today?", " I", " hope", " all", " is", " well.", " "];
    // What is held is the last word (" hope" could become "hopeful@example.com"), or a
    // capitalised word with its separator ("Hello," could go on as "Hello, Smith").
    const held = [6, 3, 3, 3, 0, 1, 4, 3, 2, 5, 0];
    let sent = "";
    deltas.forEach((delta, i) => {
      sent += guard.push(delta).text;
      expect({ delta, held: guard.held }).toEqual({ delta, held: held[i] });
    });
    expect(sent).toBe("Hello, how are you today? I hope all is well. ");
  });

  it("releases a line of prose with no entity at once", () => {
    const guard = new StreamTextGuard({ scanners: scanners() });
    expect(guard.push("Hello, how are you today? ").text).toBe("Hello, how are you today? ");
    expect(guard.held).toBe(0);
  });

  it("never holds more than maxHold, even for an unbroken base64 run", () => {
    for (const maxHold of [512, 64]) {
      const guard = new StreamTextGuard({ scanners: scanners(), maxHold });
      const blob = fake(5, 5000, B64);
      let sent = "";
      for (let i = 0; i < blob.length; i += 4) {
        sent += guard.push(blob.slice(i, i + 4)).text;
        expect(guard.held).toBeLessThanOrEqual(maxHold);
      }
      sent += guard.flush().text;
      expect(guard.held).toBe(0);
      expect(sent.length).toBeGreaterThan(0);
    }
  });

  it("holds a partial placeholder until it is complete", () => {
    const guard = new StreamTextGuard({ scanners: scanners() });
    expect(guard.push("write to [EMA").text).toBe("write to ");
    expect(guard.push("IL_1] today").text).toBe(`${ORIGINAL} `);
    expect(guard.flush().text).toBe("today");
  });
});

describe("actions", () => {
  it("block: reports, sends nothing of the piece, and stops the channel", () => {
    const guard = new StreamTextGuard({ scanners: scanners((t) => (t === "OPENAI_API_KEY" ? "block" : "redact")) });
    expect(guard.push("Here you go: ").text).toBe("Here you go: ");
    const r = guard.push(`${ENTITIES.openai} and more`);
    expect(r).toEqual({ text: "", findings: [{ kind: "secret", type: "OPENAI_API_KEY", action: "block" }], blocked: true });
    expect(guard.push("later text ").text).toBe("");
    expect(guard.push("x").blocked).toBe(true);
    expect(guard.flush()).toEqual({ text: "", findings: [], blocked: true });
    expect(protectText(`key ${ENTITIES.openai}`, scanners(() => "block"))).toMatchObject({ text: "", blocked: true });
  });

  for (const action of ["flag", "shadow"] as const) {
    it(`${action}: text unchanged, finding reported`, () => {
      const text = `mail ${ENTITIES.email}, key ${ENTITIES.github} done`;
      const expected = [
        { kind: "pii", type: "EMAIL_ADDRESS", action },
        { kind: "secret", type: "GITHUB_TOKEN", action },
      ];
      const once = protectText(text, [entityScanner({ action: () => action })]);
      expect(once).toEqual({ text, findings: expected, blocked: false });
      const streamed = stream([...text], [entityScanner({ action: () => action })]);
      expect(streamed).toEqual({ text, findings: expected, blocked: false });
    });
  }

  it("allow: nothing found, nothing changed", () => {
    const text = `mail ${ENTITIES.email} now`;
    expect(protectText(text, [entityScanner({ action: () => "allow" })])).toEqual({ text, findings: [], blocked: false });
  });

  it("acts per type", () => {
    const text = `mail ${ENTITIES.email}, key ${ENTITIES.github} done`;
    const r = protectText(text, [entityScanner({ action: (t) => (t === "GITHUB_TOKEN" ? "redact" : "flag") })]);
    expect(r.text).toBe(`mail ${ENTITIES.email}, key [GITHUB_TOKEN_REDACTED] done`);
  });
});

describe("context already released", () => {
  it("catches a password whose keyword went out in an earlier piece", () => {
    const guard = new StreamTextGuard({ scanners: scanners() });
    expect(guard.push("Your password: ").text).toBe("Your password: ");
    const out = guard.push("hunter2 is set").text + guard.flush().text;
    expect(out).toBe("[PASSWORD_REDACTED] is set");
  });

  it("catches an SSN whose keyword went out in an earlier piece", () => {
    const once = protectText("The number is SSN: 123-45-6789 is on file", scanners()).text;
    expect(once).toBe("The number is SSN: [SSN_REDACTED] is on file");
    const guard = new StreamTextGuard({ scanners: scanners() });
    // "SSN" alone is held (it could start an upper-case group such as an IBAN); "SSN: " is not.
    expect(guard.push("The number is SSN").text).toBe("The number is ");
    expect(guard.push(": ").text).toBe("SSN: ");
    expect(guard.push("123-45-6789 is on file").text + guard.flush().text).toBe("[SSN_REDACTED] is on file");
  });

  it("redacts only the unreleased part of an entity that began in released text", () => {
    const s = entityScanner({ action: () => "redact" });
    expect(s.apply("tter2 ok", "password: hun").text).toBe("[PASSWORD_REDACTED] ok");
  });
});

describe("restore", () => {
  it("restores this request's placeholders and leaves unknown ones alone", () => {
    const s = restoreScanner(new Map([["[EMAIL_1]", "a@b.co"], ["[CARD_2]", "4111 1111 1111 1111"]]));
    expect(s.apply("to [EMAIL_1], [EMAIL_2], [CARD_2], [CARD_1] [EMAIL_1", "").text).toBe(
      "to a@b.co, [EMAIL_2], 4111 1111 1111 1111, [CARD_1] [EMAIL_1",
    );
    expect(s.apply("[[EMAIL_1]]", "").text).toBe("[a@b.co]");
  });

  it("does not hold brackets that cannot become a known placeholder", () => {
    const s = restoreScanner(new Map([["[EMAIL_1]", "a@b.co"]]));
    expect(s.holdFrom("see [EMA")).toBe(4);
    expect(s.holdFrom("see [EMAIL_1")).toBe(4);
    expect(s.holdFrom("see [PHO")).toBe(8);
    expect(s.holdFrom("see [EMAIL_1]")).toBe(13);
    expect(restoreScanner(new Map()).holdFrom("see [EMA")).toBe(8);
  });

  it("JSON-escapes restored values inside a JSON string", () => {
    const value = 'say "hi" \\ back\nslash';
    const s = restoreScanner(new Map([["[NAME_1]", value]]), { json: true });
    const args = `{"to":"[NAME_1]"}`;
    const out = s.apply(args, "").text;
    expect(out).toBe(`{"to":"say \\"hi\\" \\\\ back\\nslash"}`);
    expect(JSON.parse(out)).toEqual({ to: value });
  });
});

describe("private keys longer than the hold", () => {
  const key = `-----BEGIN RSA PRIVATE KEY-----\n${pemBody(20, 26)}\n-----END RSA PRIVATE KEY-----`;
  const text = `Here is the key:\n${key}\nKeep it safe.`;
  const expected = "Here is the key:\n[PRIVATE_KEY_REDACTED]\nKeep it safe.";

  it("is redacted whole when streamed in 7-character chunks", () => {
    expect(key.length).toBeGreaterThan(1700);
    expect(protectText(text, scanners()).text).toBe(expected);
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 7) chunks.push(text.slice(i, i + 7));
    const out = stream(chunks);
    expect(out.text).toBe(expected);
    expect(out.findings).toEqual([{ kind: "secret", type: "PRIVATE_KEY", action: "redact" }]);
  });

  it("is redacted whole when JSON-escaped (service-account file) and streamed in small chunks", () => {
    const escaped = `{"private_key": "${key.replaceAll("\n", "\\n")}", "client_id": "1"}`;
    for (const size of [3, 7, 50]) {
      const chunks: string[] = [];
      for (let i = 0; i < escaped.length; i += size) chunks.push(escaped.slice(i, i + size));
      expect(stream(chunks).text).toBe('{"private_key": "[PRIVATE_KEY_REDACTED]", "client_id": "1"}');
    }
  });

  it("no line of the key body reaches the client", () => {
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 5) chunks.push(text.slice(i, i + 5));
    const out = stream(chunks).text;
    for (const line of pemBody(20, 26).split("\n")) expect(out).not.toContain(line.slice(0, 16));
  });
});

describe("linear time on adversarial input", () => {
  const MB = 1 << 20;
  const inputs: Record<string, string> = {
    "a@ repeated": "a@".repeat(MB / 2),
    "- repeated": "-".repeat(MB),
    "digits with spaces": "1234 ".repeat(MB / 5),
    "[ repeated": "[EMAIL_".repeat(MB / 7),
    "PEM header repeated": "-----BEGIN PRIVATE KEY-----\n".repeat(MB / 28),
  };
  for (const [name, input] of Object.entries(inputs)) {
    it(`completes on 1 MB of ${name}, one-shot and in 64 KB chunks`, () => {
      expect(protectText(input, scanners()).blocked).toBe(false);
      const guard = new StreamTextGuard({ scanners: scanners() });
      let sent = 0;
      for (let i = 0; i < input.length; i += 65536) {
        sent += guard.push(input.slice(i, i + 65536)).text.length;
        expect(guard.held).toBeLessThanOrEqual(512);
      }
      sent += guard.flush().text.length;
      expect(sent).toBeGreaterThan(0);
    }, 60_000);
  }
});
