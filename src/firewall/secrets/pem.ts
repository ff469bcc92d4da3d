/**
 * Private keys in text armour: PEM blocks (RFC 7468 §10 "PRIVATE KEY", §11 "ENCRYPTED PRIVATE
 * KEY", and the legacy "RSA", "EC", "DSA", "OPENSSH" labels) and OpenPGP secret key blocks
 * (RFC 4880 §6.2 "PGP PRIVATE KEY BLOCK"). A Google service-account JSON carries its key as a
 * PEM string with "\n" escapes, which is read the same way.
 *
 * People paste keys that got cut off, so a block without its END line still counts once its
 * body holds enough base64 (64 characters, a line's worth); it then ends where the base64 does.
 * Headers with a placeholder body ("...", "<key>", "XXXX...") are not keys.
 */
import type { Entity } from "../entity";
import { entity } from "../pii/scan";
import { B64, inClass, shannonEntropy } from "./scan";

const BEGIN = "-----BEGIN ";
const HEADER_RE = /-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;
const FOOTER_RE = /-----END (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;
// RFC 1421 "Proc-Type: 4,ENCRYPTED" / "DEK-Info: ..." and RFC 4880 armour headers ("Version: ...").
const ARMOR_HEADER_RE = /[A-Za-z][A-Za-z0-9-]{0,30}: [^\r\n\\]{0,200}/y;

const MIN_COMPLETE = 40;
const MIN_TRUNCATED = 64;

/**
 * PEM and PGP private key blocks, complete (score 1) or truncated (0.9).
 * @example privateKeys("-----BEGIN PRIVATE KEY-----\n" + base64Body + "\n-----END PRIVATE KEY-----")
 * // [{ type: "PRIVATE_KEY", start: 0, end: <after the END line>, detector: "private-key", score: 1 }]
 */
export function privateKeys(text: string): Entity[] {
  const out: Entity[] = [];
  let from = 0;
  for (let p = text.indexOf(BEGIN); p !== -1; p = text.indexOf(BEGIN, from)) {
    from = p + 1;
    HEADER_RE.lastIndex = p;
    if (!HEADER_RE.test(text)) continue;
    const bodyStart = HEADER_RE.lastIndex;
    // Read the body: base64 lines, armour headers, line breaks (real or "\n"-escaped). It
    // stops at the first other character, at the latest at the next "-----", so bodies of
    // successive headers never overlap and the whole loop stays linear.
    let i = bodyStart;
    let base64 = 0;
    let dataEnd = bodyStart;
    let lineStart = true;
    while (i < text.length) {
      if (lineStart) {
        ARMOR_HEADER_RE.lastIndex = i;
        if (ARMOR_HEADER_RE.test(text)) {
          i = ARMOR_HEADER_RE.lastIndex;
          lineStart = false;
          continue;
        }
      }
      const c = text.charCodeAt(i);
      if (inClass(B64, c) || c === 61) {
        base64++;
        i++;
        dataEnd = i;
        lineStart = false;
      } else if (c === 10 || c === 13) {
        i++;
        lineStart = true;
      } else if (c === 32 || c === 9) {
        i++;
      } else if (c === 92 && (text[i + 1] === "n" || text[i + 1] === "r")) {
        i += 2;
        lineStart = true;
      } else break;
    }
    // Key material is random (~6 bits per base64 character); "XXXX..." or a repeated sample
    // line is not. The usual placeholder checks do not apply: DER is full of "AAAAAA" (zeros).
    if (shannonEntropy(text, bodyStart, Math.min(dataEnd, bodyStart + 256)) < 3.5) continue;
    FOOTER_RE.lastIndex = i;
    if (text.startsWith("-----END ", i) && FOOTER_RE.test(text)) {
      if (base64 < MIN_COMPLETE) continue;
      out.push(entity("PRIVATE_KEY", p, FOOTER_RE.lastIndex, "private-key", 1));
      from = FOOTER_RE.lastIndex;
    } else if (base64 >= MIN_TRUNCATED) {
      out.push(entity("PRIVATE_KEY", p, dataEnd, "private-key", 0.9));
      from = dataEnd;
    }
  }
  return out;
}
