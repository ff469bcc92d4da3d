/**
 * Vendor API keys and tokens, recognised by the prefix each vendor puts on them (so that
 * secret scanners can find them, which is the point of the prefixes) plus the exact length
 * and alphabet of what follows. A prefix with the right shape is strong evidence but no
 * proof, hence scores of 0.8-0.95 rather than 1. Documentation examples and templates
 * ("AKIAIOSFODNN7EXAMPLE", "sk-XXXXXXXX", "xoxb-123456789012-...") are not reported: see
 * `looksLikePlaceholder`.
 *
 * Every pattern is sticky (`y`), runs only where the scanner found the literal prefix, and
 * has bounded repetition only, so one attempt costs at most a few hundred steps.
 */
import type { Entity } from "../entity";
import { entity, type Detector } from "../pii/scan";
import { charClasses, createScanner, DIGIT, LOWER, looksLikePlaceholder, UPPER, type PrefixRule } from "./scan";

interface Shape {
  type: string;
  detector: string;
  score: number;
  prefixes: readonly string[];
  /** Sticky; the capture groups hold the random part that the placeholder check looks at. */
  re: RegExp;
  /** Extra structural check on the random part. */
  check?: (secret: string) => boolean;
  /** Widens the reported span to the left (for URLs: the scheme before the host). */
  widen?: (text: string, start: number) => number;
}

function shaped(shape: Shape): PrefixRule {
  return {
    prefixes: shape.prefixes,
    match(text, start): Entity | null {
      shape.re.lastIndex = start;
      const m = shape.re.exec(text);
      if (m === null) return null;
      let secret = "";
      for (let g = 1; g < m.length; g++) secret += m[g] ?? "";
      if (secret === "") secret = m[0];
      if (looksLikePlaceholder(secret) || (shape.check !== undefined && !shape.check(secret))) return null;
      const from = shape.widen === undefined ? start : shape.widen(text, start);
      return entity(shape.type, from, start + m[0].length, shape.detector, shape.score);
    },
  };
}

const ALL_THREE = LOWER | UPPER | DIGIT;
const mixed = (secret: string): boolean => (charClasses(secret) & ALL_THREE) === ALL_THREE;
const lettersAndDigits = (secret: string): boolean => {
  const m = charClasses(secret);
  return (m & DIGIT) !== 0 && (m & (LOWER | UPPER)) !== 0;
};

// OpenAI: legacy user keys are "sk-" + 48 base62 characters; project, service-account and
// admin keys ("sk-proj-", "sk-svcacct-", "sk-admin-") are longer and use base64url. Any "sk-"
// key from another vendor with the same shape (DeepSeek, Moonshot...) is reported as OpenAI:
// the type names the likeliest issuer, and the text is a secret either way.
const OPENAI_RULE = shaped({
  type: "OPENAI_API_KEY",
  detector: "openai-key",
  score: 0.9,
  prefixes: ["sk-"],
  re: /sk-([A-Za-z0-9_-]{32,256})(?![A-Za-z0-9_-])/y,
  check: (s) => mixed(s) && !s.startsWith("ant-") && !s.startsWith("or-"),
});

// Anthropic: "sk-ant-" + kind and version ("api03", "admin01") + "-" + ~95 base64url characters.
const ANTHROPIC_RULE = shaped({
  type: "ANTHROPIC_API_KEY",
  detector: "anthropic-key",
  score: 0.95,
  prefixes: ["sk-ant-"],
  re: /sk-ant-[a-z]{3,8}\d{2}-([A-Za-z0-9_-]{32,256})(?![A-Za-z0-9_-])/y,
});

// OpenRouter: "sk-or-v1-" + 64 hex digits.
const OPENROUTER_RULE = shaped({
  type: "OPENROUTER_API_KEY",
  detector: "openrouter-key",
  score: 0.95,
  prefixes: ["sk-or-v1-"],
  re: /sk-or-v1-([0-9a-f]{64})(?![A-Za-z0-9_-])/y,
});

// AWS: access key ids are 20 upper-case alphanumerics whose first four characters name the
// kind (IAM "unique identifier prefixes": AKIA long-term, ASIA STS temporary, ABIA STS
// bearer, ACCA context-specific). AWS generates the remaining 16 in base32 (A-Z, 2-7), but
// digits 0, 1, 8, 9 are accepted too: many generators and test sets use them, and the
// four-letter prefix plus exact length is already specific.
const AWS_ACCESS_KEY_ID_RULE = shaped({
  type: "AWS_ACCESS_KEY_ID",
  detector: "aws-access-key-id",
  score: 0.9,
  prefixes: ["AKIA", "ASIA", "ABIA", "ACCA"],
  re: /A(?:KIA|SIA|BIA|CCA)([A-Z0-9]{16})(?![A-Za-z0-9])/y,
});

// Google Cloud API keys: "AIza" + 35 base64url characters (39 in all).
const GOOGLE_API_KEY_RULE = shaped({
  type: "GOOGLE_API_KEY",
  detector: "google-api-key",
  score: 0.9,
  prefixes: ["AIza"],
  re: /AIza([A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])/y,
});

// GitHub (github.blog changelog 2021-03-31, "Authentication token format updates"):
// ghp_/gho_/ghu_/ghs_/ghr_ + 36 base62 today, "plan to support tokens up to 255 characters";
// fine-grained PATs are "github_pat_" + 22 + "_" + 59.
const GITHUB_RULE = shaped({
  type: "GITHUB_TOKEN",
  detector: "github-token",
  score: 0.9,
  prefixes: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
  re: /(?:gh[pousr]_([A-Za-z0-9]{36,251})|github_pat_([A-Za-z0-9]{22}_[A-Za-z0-9]{59,229}))(?![A-Za-z0-9_])/y,
});

// GitLab: "glpat-" personal, "gldt-" deploy, "glrt-" runner, "glptt-" pipeline trigger,
// "glcbt-" CI job, "glsoat-" service account tokens; 20+ base64url characters, and since
// GitLab 17 an optional ".01.xxxx" routing suffix.
const GITLAB_RULE = shaped({
  type: "GITLAB_TOKEN",
  detector: "gitlab-token",
  score: 0.9,
  prefixes: ["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glsoat-"],
  re: /gl(?:pat|dt|rt|ptt|cbt|soat)-([A-Za-z0-9_-]{20,64}(?:\.[A-Za-z0-9_-]{1,16}){0,3})(?![A-Za-z0-9_-])/y,
  check: lettersAndDigits,
});

// Slack tokens: "xox" + kind (b bot, p user, a/o/r/s/e legacy, refresh, config) or "xapp-",
// then dash-separated fields starting with a numeric id and ending with the random part.
const SLACK_TOKEN_RULE = shaped({
  type: "SLACK_TOKEN",
  detector: "slack-token",
  score: 0.9,
  prefixes: ["xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxr-", "xoxs-", "xoxe-", "xoxe.xoxp-", "xapp-"],
  re: /(?:xox[abposre]|xoxe\.xoxp|xapp)-(\d{1,20}(?:-[A-Za-z0-9]{1,64}){2,6})(?![A-Za-z0-9-])/y,
  check: (s) => s.length - s.lastIndexOf("-") - 1 >= 16,
});

// Slack incoming webhooks: https://hooks.slack.com/services/T<team>/B<bot>/<24 base62>, and
// the workflow / trigger URLs of Workflow Builder.
const SLACK_WEBHOOK_RULE = shaped({
  type: "SLACK_WEBHOOK_URL",
  detector: "slack-webhook",
  score: 0.95,
  prefixes: ["hooks.slack.com/"],
  re: /hooks\.slack\.com\/(?:services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/([A-Za-z0-9]{24})|(?:workflows|triggers)\/T[A-Z0-9]{6,12}\/[A-Z0-9]{6,12}\/\d{1,20}\/([A-Za-z0-9]{24,64}))(?![A-Za-z0-9])/y,
  widen: (text, start) =>
    start >= 8 && text.startsWith("https://", start - 8) ? start - 8 : start >= 7 && text.startsWith("http://", start - 7) ? start - 7 : start,
});

// Stripe secret and restricted keys, live or test mode ("sk_live_", "rk_test_", ...); Stripe
// documents lengths up to 255. Publishable keys ("pk_") are public by design and not reported.
const STRIPE_RULE = shaped({
  type: "STRIPE_SECRET_KEY",
  detector: "stripe-key",
  score: 0.9,
  prefixes: ["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
  re: /[sr]k_(?:live|test)_([A-Za-z0-9]{24,247})(?![A-Za-z0-9_])/y,
});

// Twilio: account SIDs ("AC") and API key SIDs ("SK") are 34 characters, the prefix plus 32
// lower-case hex. Neither is the secret half of the pair, but each says one is nearby.
const TWILIO_ACCOUNT_SID_RULE = shaped({
  type: "TWILIO_ACCOUNT_SID",
  detector: "twilio",
  score: 0.8,
  prefixes: ["AC"],
  re: /AC([0-9a-f]{32})(?![A-Za-z0-9])/y,
  check: lettersAndDigits,
});
const TWILIO_API_KEY_RULE = shaped({
  type: "TWILIO_API_KEY",
  detector: "twilio",
  score: 0.8,
  prefixes: ["SK"],
  re: /SK([0-9a-f]{32})(?![A-Za-z0-9])/y,
  check: lettersAndDigits,
});

// SendGrid: "SG." + 22-character key id + "." + 43-character secret (base64url).
const SENDGRID_RULE = shaped({
  type: "SENDGRID_API_KEY",
  detector: "sendgrid-key",
  score: 0.95,
  prefixes: ["SG."],
  re: /SG\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/y,
});

// npm access tokens (2021 format): "npm_" + 36 base62.
const NPM_RULE = shaped({
  type: "NPM_TOKEN",
  detector: "npm-token",
  score: 0.9,
  prefixes: ["npm_"],
  re: /npm_([A-Za-z0-9]{36})(?![A-Za-z0-9_])/y,
});

// Hugging Face user access tokens: "hf_" + 34 letters today; 34-40 base62 accepted, mixed case.
const HUGGINGFACE_RULE = shaped({
  type: "HUGGINGFACE_TOKEN",
  detector: "huggingface-token",
  score: 0.85,
  prefixes: ["hf_"],
  re: /hf_([A-Za-z0-9]{34,40})(?![A-Za-z0-9_])/y,
  check: (s) => (charClasses(s) & (LOWER | UPPER)) === (LOWER | UPPER),
});

/** Every vendor rule, for the combined single-pass scanner in `index.ts`. */
export const VENDOR_RULES: readonly PrefixRule[] = [
  OPENAI_RULE,
  ANTHROPIC_RULE,
  OPENROUTER_RULE,
  AWS_ACCESS_KEY_ID_RULE,
  GOOGLE_API_KEY_RULE,
  GITHUB_RULE,
  GITLAB_RULE,
  SLACK_TOKEN_RULE,
  SLACK_WEBHOOK_RULE,
  STRIPE_RULE,
  TWILIO_ACCOUNT_SID_RULE,
  TWILIO_API_KEY_RULE,
  SENDGRID_RULE,
  NPM_RULE,
  HUGGINGFACE_RULE,
];

/**
 * OpenAI keys, and the Anthropic and OpenRouter keys that share their "sk-" prefix.
 * @example openAiKeys(`key: sk-proj-${random}`) // [{ type: "OPENAI_API_KEY", start: 5, ... }]
 */
export const openAiKeys: Detector = createScanner([OPENAI_RULE, ANTHROPIC_RULE, OPENROUTER_RULE]);
/** @example awsAccessKeyIds("id=AKIA" + random16) // [{ type: "AWS_ACCESS_KEY_ID", start: 3, end: 23, ... }] */
export const awsAccessKeyIds: Detector = createScanner([AWS_ACCESS_KEY_ID_RULE]);
/** @example googleApiKeys("?key=AIza" + random35) // [{ type: "GOOGLE_API_KEY", start: 5, ... }] */
export const googleApiKeys: Detector = createScanner([GOOGLE_API_KEY_RULE]);
/** @example githubTokens("GH_TOKEN=ghp_" + random36) // [{ type: "GITHUB_TOKEN", start: 9, end: 49, ... }] */
export const githubTokens: Detector = createScanner([GITHUB_RULE]);
/** @example gitlabTokens("glpat-" + random20) // [{ type: "GITLAB_TOKEN", start: 0, end: 26, ... }] */
export const gitlabTokens: Detector = createScanner([GITLAB_RULE]);
/** @example slackTokens(`xoxb-${id}-${id}-${random24}`) // [{ type: "SLACK_TOKEN", ... }]; also webhook URLs */
export const slackTokens: Detector = createScanner([SLACK_TOKEN_RULE, SLACK_WEBHOOK_RULE]);
/** @example stripeKeys("sk_live_" + random24) // [{ type: "STRIPE_SECRET_KEY", start: 0, end: 32, ... }] */
export const stripeKeys: Detector = createScanner([STRIPE_RULE]);
/** @example twilioKeys("AC" + hex32) // [{ type: "TWILIO_ACCOUNT_SID", start: 0, end: 34, ... }] */
export const twilioKeys: Detector = createScanner([TWILIO_ACCOUNT_SID_RULE, TWILIO_API_KEY_RULE]);
/** @example sendgridKeys(`SG.${random22}.${random43}`) // [{ type: "SENDGRID_API_KEY", start: 0, end: 69, ... }] */
export const sendgridKeys: Detector = createScanner([SENDGRID_RULE]);
/** @example npmTokens("npm_" + random36) // [{ type: "NPM_TOKEN", start: 0, end: 40, ... }] */
export const npmTokens: Detector = createScanner([NPM_RULE]);
/** @example huggingFaceTokens("hf_" + random34) // [{ type: "HUGGINGFACE_TOKEN", start: 0, end: 37, ... }] */
export const huggingFaceTokens: Detector = createScanner([HUGGINGFACE_RULE]);
