/**
 * Secret detection for the firewall: credentials pasted into a prompt (private keys, JWTs,
 * vendor API keys, and tokens named as secrets by the text around them). Like the PII
 * detectors, every function here is pure, linear-time, and validates what it reports
 * (a decoded JWT header, a PEM block, a vendor's prefix and exact shape, a keyword plus
 * entropy) instead of trusting a bare pattern.
 *
 * `detectSecrets` does not call the detectors below one by one: it runs all their rules in a
 * single pass over the text (see `scan.ts`), which keeps a 4 KB prompt at a few microseconds.
 * The per-detector functions find the same kinds of spans and exist for tests, tuning and
 * callers that want one kind only.
 *
 * @example
 * detectSecrets(`export AWS_ACCESS_KEY_ID=${id}\nexport AWS_SECRET_ACCESS_KEY=${secret}`);
 * // [{ type: "AWS_ACCESS_KEY_ID", ... }, { type: "AWS_SECRET_ACCESS_KEY", ... }]
 */
import { resolveOverlaps, type Entity } from "../entity";
import type { Detector } from "../pii/scan";
import { awsSecretAccessKeys, azureKeys, CONTEXT_RULES, genericSecrets } from "./context";
import { JWT_RULE, jwts } from "./jwt";
import { privateKeys } from "./pem";
import { createScanner } from "./scan";
import {
  awsAccessKeyIds,
  githubTokens,
  gitlabTokens,
  googleApiKeys,
  huggingFaceTokens,
  npmTokens,
  openAiKeys,
  sendgridKeys,
  slackTokens,
  stripeKeys,
  twilioKeys,
  VENDOR_RULES,
} from "./vendors";

export { awsSecretAccessKeys, azureKeys, genericSecrets } from "./context";
export { decodeBase64Url, joseAlg, jwts } from "./jwt";
export { privateKeys } from "./pem";
export { looksLikePlaceholder, shannonEntropy } from "./scan";
export {
  awsAccessKeyIds,
  githubTokens,
  gitlabTokens,
  googleApiKeys,
  huggingFaceTokens,
  npmTokens,
  openAiKeys,
  sendgridKeys,
  slackTokens,
  stripeKeys,
  twilioKeys,
} from "./vendors";

/** Every detector by name, in no particular order (overlaps are resolved by score). */
export const SECRET_DETECTORS: Readonly<Record<string, Detector>> = {
  privateKeys,
  jwts,
  openAiKeys,
  awsAccessKeyIds,
  awsSecretAccessKeys,
  googleApiKeys,
  githubTokens,
  gitlabTokens,
  slackTokens,
  stripeKeys,
  twilioKeys,
  sendgridKeys,
  npmTokens,
  huggingFaceTokens,
  azureKeys,
  genericSecrets,
};

// Built once per isolate: the prefix table of every rule, for the single pass.
const scanAll = createScanner([JWT_RULE, ...VENDOR_RULES], CONTEXT_RULES);

/** Runs every secret rule and keeps, among overlapping spans, the longest / most confident. */
export function detectSecrets(text: string): Entity[] {
  const found = scanAll(text);
  // indexOf is cheap; the PEM reader only runs when a header is present.
  if (text.includes("-----BEGIN ")) found.push(...privateKeys(text));
  return resolveOverlaps(found);
}
