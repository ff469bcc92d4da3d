/**
 * Secrets without a vendor prefix, recognised by what stands before them: an AWS secret access
 * key after "aws_secret_access_key=" or right after its access key id, an Azure key after an
 * Azure setting, and any other random-looking token after "secret", "token", "api_key",
 * "Authorization: Bearer" and the like (GENERIC_SECRET). The keyword is required: a git SHA,
 * a SHA-256 digest or a UUID on its own is not a secret, and entropy alone cannot tell them
 * apart from one. Passwords are the PII detector's business ("password: x" is PASSWORD there).
 *
 * Each rule sees one run of token characters (see `scan.ts`) and a window of at most 96
 * characters before it, so the cost per run is bounded.
 */
import type { Entity } from "../entity";
import { entity, type Detector } from "../pii/scan";
import {
  ALNUM,
  B64,
  charClasses,
  classCount,
  createScanner,
  DIGIT,
  inClass,
  LOWER,
  looksLikePlaceholder,
  readClass,
  shannonEntropy,
  SYMBOL,
  UPPER,
  type RunRule,
} from "./scan";

/**
 * A secret-naming keyword, then the rest of an identifier ("_ACCESS_KEY", "orization"), then
 * an assignment or "is", then optional quotes and an auth scheme, right before the value.
 * Line breaks may be JSON-escaped (a backslash and "n", as in a JSON string: "secret:\n<value>").
 */
const KEYWORD_BEFORE_RE =
  /(?:secret|token|api[_-]?key|apikey|access[_-]?key|auth|bearer|credential|private[_-]?key|key)[A-Za-z0-9_.-]{0,32}["'`\]]{0,2}\s{0,4}(?::=|=>|[:=]|\bis\b|\bwas\b)?(?:\s|\\[nrt]){0,4}["'`]?(?:(?:bearer|token|basic)\s{1,4})?$/i;
const AWS_WORD_RE = /aws|amazon/i;
const AWS_KEY_ID_BEFORE_RE = /A(?:KIA|SIA)[A-Z0-9]{16}["'`\s,;:|=]{1,8}$/;
const AZURE_WORD_RE = /azure|ocp-apim|cognitiveservices/i;
// Public keys are keys but not secrets ("my public key is AAAAC3Nza...", "publishable key").
const PUBLIC_KEY_RE = /\b(?:public|publishable)[ _-]?key/i;
const HASH_WORD_RE = /\bsha(?:-?\d{1,3})?\b|hash|digest|checksum|\bcommit|\bmd5\b|uuid|guid|fingerprint|nonce|\bsalt\b|\betag\b/i;
const HEX_RE = /^[0-9a-fA-F]+$/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const before = (text: string, start: number, window: number): string => text.slice(Math.max(0, start - window), start);
const keywordBefore = (text: string, start: number): boolean => KEYWORD_BEFORE_RE.test(before(text, start, 64));

/** Drops a sentence's final period from a run ("... token abc123.") */
function trimRun(text: string, end: number): number {
  return text.charCodeAt(end - 1) === 46 ? end - 1 : end;
}

/** Azure Storage connection strings: "AccountKey=" + a 64-byte key in base64 (88 characters). */
const azureStorageKeyRule: RunRule = (text, s, e) => {
  if (e - s !== 86 || !text.startsWith("==", e) || readClass(text, s, B64, 86) !== e) return null;
  if (!/accountkey=$/i.test(before(text, s, 11))) return null;
  if (looksLikePlaceholder(text, s, e)) return null;
  return entity("AZURE_STORAGE_ACCOUNT_KEY", s, e + 2, "azure-storage-key", 0.95);
};

/**
 * AWS secret access keys: 40 base64 characters, reported only after a secret keyword with
 * "aws" nearby ("export AWS_SECRET_ACCESS_KEY=...") or right after an access key id
 * ("AKIA...,<secret>" as in credential CSVs).
 */
const awsSecretKeyRule: RunRule = (text, s, end) => {
  const e = trimRun(text, end);
  if (e - s !== 40 || readClass(text, s, B64, 40) !== e) return null;
  if ((charClasses(text, s, e) & (LOWER | UPPER | DIGIT)) !== (LOWER | UPPER | DIGIT)) return null;
  if (looksLikePlaceholder(text, s, e)) return null;
  const context = before(text, s, 96);
  if (!AWS_KEY_ID_BEFORE_RE.test(context) && !(AWS_WORD_RE.test(context) && keywordBefore(text, s))) return null;
  return entity("AWS_SECRET_ACCESS_KEY", s, e, "aws-secret-key", 0.85);
};

/**
 * Azure AI services / API Management keys: 32 hex digits after a key setting, with Azure
 * named nearby (AZURE_OPENAI_API_KEY=..., "Ocp-Apim-Subscription-Key: ...").
 */
const azureKeyRule: RunRule = (text, s, end) => {
  const e = trimRun(text, end);
  if (e - s !== 32 || !HEX_RE.test(text.slice(s, e))) return null;
  const m = charClasses(text, s, e);
  if ((m & DIGIT) === 0 || (m & (LOWER | UPPER)) === 0 || looksLikePlaceholder(text, s, e)) return null;
  if (!AZURE_WORD_RE.test(before(text, s, 96)) || !keywordBefore(text, s)) return null;
  return entity("AZURE_API_KEY", s, e, "azure-key", 0.75);
};

/**
 * Any other random-looking token (20-256 characters, letters and digits, at least 3.2 bits
 * of entropy per character, few symbols) right after a secret keyword. Hex strings and UUIDs
 * qualify only at a lower score and never next to a hash word ("commit", "sha256", ...).
 */
const genericSecretRule: RunRule = (text, s, end) => {
  const e = trimRun(text, end);
  const n = e - s;
  if (n < 20 || n > 256) return null;
  const m = charClasses(text, s, e);
  if ((m & DIGIT) === 0 || (m & (LOWER | UPPER)) === 0) return null;
  const value = text.slice(s, e);
  let symbols = 0;
  let slashes = 0;
  if ((m & SYMBOL) !== 0) {
    for (let i = s; i < e; i++) {
      const c = text.charCodeAt(i);
      if (!inClass(ALNUM, c)) symbols++;
      if (c === 47) slashes++;
    }
  }
  // Version strings, dotted identifiers, paths and URLs, "--flags": real tokens are mostly
  // alphanumeric, and base64 ones have a "/" now and then but not a directory structure.
  if (symbols > n * 0.2 || value.startsWith("--") || value.includes("..")) return null;
  if (slashes >= 2 && (value.includes(".") || value.startsWith("/"))) return null;
  if (looksLikePlaceholder(value)) return null;
  const entropy = shannonEntropy(value);
  if (entropy < 3.2) return null;
  const hexLike = HEX_RE.test(value) || UUID_RE.test(value);
  const letterDigitCase = classCount(m & (LOWER | UPPER | DIGIT));
  if (!hexLike && letterDigitCase < 3 && !(n >= 32 && entropy >= 3.5)) return null;
  if (!keywordBefore(text, s) || PUBLIC_KEY_RE.test(before(text, s, 40))) return null;
  if (hexLike && HASH_WORD_RE.test(before(text, s, 48))) return null;
  return entity("GENERIC_SECRET", s, e, "generic-secret", hexLike ? 0.5 : 0.7);
};

/** The run rules in the order they are tried; the first that matches a run wins. */
export const CONTEXT_RULES: readonly RunRule[] = [azureStorageKeyRule, awsSecretKeyRule, azureKeyRule, genericSecretRule];

/** @example awsSecretAccessKeys("export AWS_SECRET_ACCESS_KEY=" + random40) // [{ type: "AWS_SECRET_ACCESS_KEY", start: 29, end: 69, ... }] */
export const awsSecretAccessKeys: Detector = createScanner([], [awsSecretKeyRule]);
/** @example azureKeys("AccountKey=" + base64Of64Bytes) // [{ type: "AZURE_STORAGE_ACCOUNT_KEY", start: 11, end: 99, ... }] */
export const azureKeys: Detector = createScanner([], [azureStorageKeyRule, azureKeyRule]);
/** @example genericSecrets(`client_secret = "${random32}"`) // [{ type: "GENERIC_SECRET", start: 17, end: 49, score: 0.7, ... }] */
export const genericSecrets: Detector = createScanner([], [genericSecretRule]);
