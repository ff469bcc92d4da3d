import { describe, expect, it } from "vitest";
import {
  SECRET_DETECTORS,
  awsAccessKeyIds,
  awsSecretAccessKeys,
  azureKeys,
  decodeBase64Url,
  detectSecrets,
  genericSecrets,
  githubTokens,
  gitlabTokens,
  googleApiKeys,
  huggingFaceTokens,
  joseAlg,
  jwts,
  looksLikePlaceholder,
  npmTokens,
  openAiKeys,
  privateKeys,
  sendgridKeys,
  slackTokens,
  stripeKeys,
  twilioKeys,
} from "../src/firewall/secrets/index";
import type { Detector } from "../src/firewall/pii/scan";
import { B64, B64URL, BASE62, HEX, UPPER36, b64url, fake, pemBody } from "./fakes";


const found = (detect: Detector, text: string): string[] => detect(text).map((e) => text.slice(e.start, e.end));
const types = (text: string): string[] => detectSecrets(text).map((e) => e.type);

describe("private keys", () => {
  const body = pemBody(1);
  const rsa = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;
  it("finds complete PEM blocks of every label, with score 1", () => {
    expect(found(privateKeys, `here it is:\n${rsa}\nwhy does ssh reject it?`)).toEqual([rsa]);
    for (const label of ["", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "]) {
      const block = `-----BEGIN ${label}PRIVATE KEY-----\n${body}\n-----END ${label}PRIVATE KEY-----`;
      expect(privateKeys(block)).toMatchObject([{ type: "PRIVATE_KEY", start: 0, end: block.length, score: 1 }]);
    }
  });
  it("reads OpenSSH zero runs, RFC 1421 headers, PGP armour and JSON-escaped keys", () => {
    const openssh = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n${body}\n-----END OPENSSH PRIVATE KEY-----`;
    expect(found(privateKeys, openssh)).toEqual([openssh]);
    const encrypted = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,${fake(9, 32, HEX).toUpperCase()}\n\n${body}\n-----END RSA PRIVATE KEY-----`;
    expect(found(privateKeys, encrypted)).toEqual([encrypted]);
    const pgp = `-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n${body}\n=${fake(3, 4, B64)}\n-----END PGP PRIVATE KEY BLOCK-----`;
    expect(found(privateKeys, pgp)).toEqual([pgp]);
    const escaped = `-----BEGIN PRIVATE KEY-----\\n${pemBody(5, 4, "\\n")}\\n-----END PRIVATE KEY-----\\n`;
    const json = `{"type": "service_account", "private_key": "${escaped}", "client_email": "x@y.iam"}`;
    expect(found(privateKeys, json)).toEqual([escaped.slice(0, -2)]);
  });
  it("keeps a truncated block up to its last base64 character, with score 0.9", () => {
    const cut = `-----BEGIN PRIVATE KEY-----\n${pemBody(7, 2)}`;
    expect(privateKeys(`${cut}\n\n(the rest got cut off)`)).toMatchObject([{ start: 0, end: cut.length, score: 0.9 }]);
  });
  it("ignores headers without key material, placeholders and public blocks", () => {
    expect(privateKeys("what does -----BEGIN RSA PRIVATE KEY----- mean?")).toEqual([]);
    expect(privateKeys("-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----")).toEqual([]);
    expect(privateKeys(`-----BEGIN PRIVATE KEY-----\n${"X".repeat(64)}\n${"X".repeat(64)}\n-----END PRIVATE KEY-----`)).toEqual([]);
    expect(privateKeys(`-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----`)).toEqual([]);
    expect(privateKeys(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`)).toEqual([]);
  });
});

describe("JWT", () => {
  const header = b64url({ alg: "HS256", typ: "JWT" });
  const payload = b64url({ sub: "1234", iat: 1700000000 });
  const token = `${header}.${payload}.${fake(11, 43, B64URL)}`;
  it("finds tokens whose header decodes to JSON with alg, wherever they sit", () => {
    expect(jwts(token)).toEqual([{ type: "JWT", start: 0, end: token.length, detector: "jwt", score: 1 }]);
    expect(found(jwts, `Authorization: Bearer ${token}`)).toEqual([token]);
    expect(found(jwts, `{"api_key": "${token}", "timeout": 30}`)).toEqual([token]);
    expect(found(jwts, `https://app.test/cb?id_token=${token}&state=1`)).toEqual([token]);
    expect(found(jwts, `(${token}).`)).toEqual([token]);
  });
  it("accepts unsigned (alg none) and five-part JWE tokens", () => {
    const none = `${b64url({ alg: "none" })}.${payload}.`;
    expect(found(jwts, `t=${none} ok`)).toEqual([none]);
    const jwe = `${b64url({ alg: "RSA-OAEP", enc: "A256GCM" })}.${fake(1, 342, B64URL)}.${fake(2, 16, B64URL)}.${fake(3, 80, B64URL)}.${fake(4, 22, B64URL)}`;
    expect(found(jwts, jwe)).toEqual([jwe]);
  });
  it("rejects headers without alg, non-JSON headers, missing parts and short signatures", () => {
    expect(jwts(`${b64url({ typ: "JWT" })}.${payload}.${fake(11, 43, B64URL)}`)).toEqual([]);
    expect(jwts(`eyJ${fake(5, 30, B64URL)}.${payload}.${fake(11, 43, B64URL)}`)).toEqual([]);
    expect(jwts(`${header}.${payload}`)).toEqual([]);
    expect(jwts(`${header}.${payload}.abc`)).toEqual([]);
    expect(jwts(`x.${token}`)).toEqual([]);
    expect(jwts(`key${token}`)).toEqual([]);
  });
  it("decodes base64url headers", () => {
    expect(joseAlg(header)).toBe("HS256");
    expect(joseAlg(b64url([1, 2]))).toBeNull();
    expect(decodeBase64Url("a")).toBeNull();
    expect(decodeBase64Url(b64url("hi"))).toBe('"hi"');
  });
});

describe("OpenAI, Anthropic and OpenRouter keys", () => {
  it("finds legacy, project, service-account and admin keys", () => {
    const legacy = `sk-${fake(1, 20)}T3BlbkFJ${fake(2, 20)}`;
    const project = `sk-proj-${fake(3, 124, B64URL)}`;
    expect(found(openAiKeys, `OPENAI_API_KEY=${legacy}`)).toEqual([legacy]);
    expect(found(openAiKeys, `"${project}".`)).toEqual([project]);
    expect(found(openAiKeys, `sk-svcacct-${fake(4, 64, B64URL)}`)).toHaveLength(1);
    expect(openAiKeys(project)[0]).toMatchObject({ type: "OPENAI_API_KEY", score: 0.9 });
  });
  it("types Anthropic and OpenRouter keys by their own prefix", () => {
    const anthropic = `sk-ant-api03-${fake(5, 93, B64URL)}AA`;
    expect(openAiKeys(`x ${anthropic} y`)).toMatchObject([{ type: "ANTHROPIC_API_KEY", start: 2, end: 2 + anthropic.length }]);
    expect(types(`sk-or-v1-${fake(6, 64, HEX)}`)).toEqual(["OPENROUTER_API_KEY"]);
  });
  it("rejects placeholders, short or single-case bodies and 'sk-' inside words", () => {
    expect(openAiKeys("sk-...")).toEqual([]);
    expect(openAiKeys(`sk-${"X".repeat(48)}`)).toEqual([]);
    expect(openAiKeys(`sk-your-api-key-here-${fake(7, 20)}`)).toEqual([]);
    expect(openAiKeys(`sk-1234567890abcdef${fake(8, 30)}`)).toEqual([]);
    expect(openAiKeys(`sk-${fake(9, 24)}`)).toEqual([]);
    expect(openAiKeys(`sk-${fake(10, 48, "abcdefghijklmnopqrstuvwxyz")}`)).toEqual([]);
    expect(openAiKeys(`task-${fake(11, 48)}`)).toEqual([]);
  });
});

describe("AWS keys", () => {
  const id = `AKIA${fake(1, 16, UPPER36)}`;
  const secret = fake(2, 40, B64);
  it("finds access key ids of every prefix", () => {
    expect(awsAccessKeyIds(`export AWS_ACCESS_KEY_ID=${id}`)).toMatchObject([{ type: "AWS_ACCESS_KEY_ID", start: 25, end: 45, score: 0.9 }]);
    expect(found(awsAccessKeyIds, `"ASIA${id.slice(4)}",`)).toEqual([`ASIA${id.slice(4)}`]);
  });
  it("rejects the documentation example, wrong lengths and lower case", () => {
    expect(awsAccessKeyIds("AKIA" + "IOSFODNN7EXAMPLE")).toEqual([]);
    expect(awsAccessKeyIds(id.slice(0, 19))).toEqual([]);
    expect(awsAccessKeyIds(`${id}Q`)).toEqual([]);
    expect(awsAccessKeyIds(`AKIA${fake(1, 16, UPPER36).toLowerCase()}`)).toEqual([]);
    expect(awsAccessKeyIds(`X${id}`)).toEqual([]);
  });
  it("finds secret access keys only in AWS context or right after a key id", () => {
    expect(found(awsSecretAccessKeys, `export AWS_ACCESS_KEY_ID=${id}\nexport AWS_SECRET_ACCESS_KEY=${secret}\n`)).toEqual([secret]);
    expect(found(awsSecretAccessKeys, `aws_secret_access_key = "${secret}"`)).toEqual([secret]);
    expect(found(awsSecretAccessKeys, `${id},${secret}`)).toEqual([secret]);
    expect(awsSecretAccessKeys(`checksum ${secret}`)).toEqual([]);
    expect(types(`my secret: ${secret}`)).toEqual(["GENERIC_SECRET"]);
    expect(awsSecretAccessKeys(`aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCY${"EXAMPLEKEY"}`)).toEqual([]);
  });
});

describe("Google, GitHub, GitLab", () => {
  it("Google API keys: AIza + 35", () => {
    const key = `AIza${fake(1, 35, B64URL)}`;
    expect(found(googleApiKeys, `https://maps.test/api?key=${key}&v=3`)).toEqual([key]);
    expect(googleApiKeys(key.slice(0, -1))).toEqual([]);
    expect(googleApiKeys(`${key}x`)).toEqual([]);
  });
  it("GitHub tokens: classic prefixes + 36, fine-grained PATs", () => {
    const classic = `ghp_${fake(2, 36)}`;
    expect(githubTokens(`token ${classic}`)).toMatchObject([{ type: "GITHUB_TOKEN", start: 6, end: 46 }]);
    for (const p of ["gho_", "ghu_", "ghs_", "ghr_"]) expect(found(githubTokens, p + classic.slice(4))).toHaveLength(1);
    const pat = `github_pat_${fake(3, 22)}_${fake(4, 59)}`;
    expect(found(githubTokens, `'${pat}'`)).toEqual([pat]);
    expect(githubTokens(`ghp_${fake(2, 35)}`)).toEqual([]);
    expect(githubTokens(`ghx_${fake(2, 36)}`)).toEqual([]);
    expect(githubTokens(`ghp_${"x".repeat(36)}`)).toEqual([]);
  });
  it("GitLab tokens, with or without the routing suffix", () => {
    const t = `glpat-${fake(5, 20, B64URL)}`;
    expect(found(gitlabTokens, `PRIVATE-TOKEN: ${t}`)).toEqual([t]);
    expect(found(gitlabTokens, `${t}.01.${fake(6, 9, HEX)}.`)).toEqual([`${t}.01.${fake(6, 9, HEX)}`]);
    expect(gitlabTokens(`glpat-${"x".repeat(20)}`)).toEqual([]);
  });
});

describe("Slack, Stripe, Twilio, SendGrid, npm, Hugging Face", () => {
  const digits = (seed: number, n: number): string => fake(seed, n, "0123456789");
  it("Slack tokens and webhook URLs", () => {
    const bot = `xoxb-${digits(1, 12)}-${digits(2, 13)}-${fake(3, 24)}`;
    expect(slackTokens(`SLACK_BOT_TOKEN=${bot}`)).toMatchObject([{ type: "SLACK_TOKEN", start: 16, end: 16 + bot.length }]);
    expect(found(slackTokens, `xoxp-${digits(4, 11)}-${digits(5, 11)}-${digits(6, 12)}-${fake(7, 32, HEX)}`)).toHaveLength(1);
    const hook = `https://hooks.slack.com/services/T${fake(8, 8, UPPER36)}/B${fake(9, 8, UPPER36)}/${fake(10, 24)}`;
    expect(slackTokens(`curl -X POST ${hook} -d @msg.json`)).toMatchObject([{ type: "SLACK_WEBHOOK_URL", start: 13, end: 13 + hook.length }]);
    expect(slackTokens("xoxb-not-a-real-token-this-will-not-work")).toEqual([]);
    expect(slackTokens(`xoxb-123456789012-1234567890123-${fake(3, 24)}`)).toEqual([]);
    expect(slackTokens(`xoxb-${digits(1, 12)}-${digits(2, 13)}-${fake(3, 8)}`)).toEqual([]);
  });
  it("Stripe secret and restricted keys, not publishable ones", () => {
    const live = `sk_live_${fake(1, 24)}`;
    expect(stripeKeys(`Stripe.api_key = "${live}"`)).toMatchObject([{ type: "STRIPE_SECRET_KEY", start: 18, end: 50 }]);
    expect(found(stripeKeys, `rk_test_${fake(2, 99)}`)).toHaveLength(1);
    expect(stripeKeys(`pk_live_${fake(1, 24)}`)).toEqual([]);
    expect(stripeKeys(`sk_live_${fake(1, 10)}`)).toEqual([]);
  });
  it("Twilio account and API key SIDs", () => {
    expect(twilioKeys(`sid AC${fake(1, 32, HEX)}`)).toMatchObject([{ type: "TWILIO_ACCOUNT_SID", start: 4, end: 38 }]);
    expect(twilioKeys(`SK${fake(2, 32, HEX)}`)).toMatchObject([{ type: "TWILIO_API_KEY" }]);
    expect(twilioKeys(`AC${fake(1, 32, HEX).toUpperCase()}`)).toEqual([]);
    expect(twilioKeys(`AC${fake(1, 31, HEX)}`)).toEqual([]);
    expect(twilioKeys(`AC${fake(3, 32, "0123456789")}`)).toEqual([]);
  });
  it("SendGrid, npm and Hugging Face tokens", () => {
    const sg = `SG.${fake(1, 22, B64URL)}.${fake(2, 43, B64URL)}`;
    expect(found(sendgridKeys, `SENDGRID_API_KEY='${sg}'`)).toEqual([sg]);
    expect(sendgridKeys(`SG.${fake(1, 21, B64URL)}.${fake(2, 43, B64URL)}`)).toEqual([]);
    const npm = `npm_${fake(3, 36)}`;
    expect(found(npmTokens, `//registry.npmjs.org/:_authToken=${npm}`)).toEqual([npm]);
    expect(npmTokens(`npm_${fake(3, 35)}`)).toEqual([]);
    expect(npmTokens("npm_config_cache_directory_for_builds")).toEqual([]);
    const hf = `hf_${fake(4, 34, BASE62.slice(0, 52))}`;
    expect(huggingFaceTokens(`HF_TOKEN=${hf}`)).toMatchObject([{ type: "HUGGINGFACE_TOKEN", start: 9, end: 9 + hf.length }]);
    expect(huggingFaceTokens(`hf_${fake(4, 34, "abcdefghijklmnopqrstuvwxyz")}`)).toEqual([]);
  });
});

describe("Azure keys", () => {
  it("finds storage account keys in connection strings", () => {
    const key = `${fake(1, 86, B64)}==`;
    const conn = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net`;
    expect(azureKeys(conn)).toMatchObject([{ type: "AZURE_STORAGE_ACCOUNT_KEY", start: conn.indexOf(key), end: conn.indexOf(key) + 88 }]);
    expect(azureKeys(`AccountKey=${fake(1, 60, B64)}==`)).toEqual([]);
  });
  it("finds 32-hex keys only with an Azure setting or header before them", () => {
    const hex = fake(2, 32, HEX);
    expect(found(azureKeys, `AZURE_OPENAI_API_KEY=${hex}`)).toEqual([hex]);
    expect(found(azureKeys, `-H "Ocp-Apim-Subscription-Key: ${hex}"`)).toEqual([hex]);
    expect(azureKeys(`md5 ${hex}`)).toEqual([]);
    expect(azureKeys(`api_key=${hex}`)).toEqual([]);
  });
});

describe("generic secrets", () => {
  const token = fake(1, 32);
  it("finds random tokens after a secret keyword, at a lower score", () => {
    expect(genericSecrets(`client_secret = "${token}"`)).toMatchObject([{ type: "GENERIC_SECRET", start: 17, end: 49, score: 0.7 }]);
    expect(found(genericSecrets, `Authorization: Bearer ${token}`)).toEqual([token]);
    expect(found(genericSecrets, `my api token is ${token}.`)).toEqual([token]);
    expect(found(genericSecrets, `{"apiKey":"${token}"}`)).toEqual([token]);
    expect(found(genericSecrets, `curl https://x.test/v1?access_token=${token}&a=1`)).toEqual([token]);
    expect(genericSecrets(`token: ${fake(2, 40, HEX)}`)).toMatchObject([{ score: 0.5 }]);
    expect(genericSecrets(`shared secret: ${fake(2, 64, HEX)}`)).toMatchObject([{ score: 0.5 }]);
    const b64 = `${fake(3, 20)}//${fake(4, 18)}+/`;
    expect(found(genericSecrets, `secret=${b64}`)).toEqual([b64]);
  });
  it("ignores hashes, UUIDs, versions, code and placeholders", () => {
    const sha = fake(3, 40, HEX);
    for (const text of [
      `git revert ${sha} fails with a conflict`,
      `The SHA-256 of the file is ${fake(4, 64, HEX)}`,
      `commit token ${sha}`,
      `api_key sha256: ${fake(4, 64, HEX)}`,
      `Explain what a UUID like ${fake(5, 8, HEX)}-${fake(6, 4, HEX)}-4${fake(7, 3, HEX)}-a${fake(8, 3, HEX)}-${fake(9, 12, HEX)} is`,
      `a random string ${token} with no keyword`,
      "Replace YOUR_API_KEY_HERE in the sample code",
      "api_key = process.env.OPENAI_API_KEY_FOR_PRODUCTION",
      "token: <your-token>, secret: ${SECRET_VALUE_FROM_VAULT}",
      "auth token v1.2.3-beta.4+build.20240101.abc",
      `secret: ${"ab12".repeat(8)}`,
      "key: src/firewall/secrets/index.ts2",
      `my public key is AAAAC3NzaC1lZDI1NTE5AAAAI${fake(10, 43, B64)}`,
      "auth file: /usr/local/lib/node20/bin/npx",
      "api key at https://console.cloud.test/apis/credentials/key2",
    ]) {
      expect(detectSecrets(text), text).toEqual([]);
    }
  });
});

describe("detectSecrets", () => {
  it("combines all detectors and keeps the vendor type over the generic one", () => {
    const id = `AKIA${fake(1, 16, UPPER36)}`;
    const text = `api_key: ${id}\ntoken=ghp_${fake(2, 36)}\nsecret ${fake(3, 30)}`;
    expect(types(text)).toEqual(["AWS_ACCESS_KEY_ID", "GITHUB_TOKEN", "GENERIC_SECRET"]);
    const pem = `-----BEGIN PRIVATE KEY-----\n${pemBody(4)}\n-----END PRIVATE KEY-----`;
    expect(detectSecrets(`key:\n${pem}`)).toMatchObject([{ type: "PRIVATE_KEY", start: 5, end: 5 + pem.length }]);
  });
  it("reports UTF-16 offsets and handles tokens at the edges of the text", () => {
    const t = `ghp_${fake(2, 36)}`;
    expect(detectSecrets(`🔑 ${t}`)).toMatchObject([{ start: 3, end: 43 }]);
    expect(detectSecrets(t)).toMatchObject([{ start: 0, end: 40 }]);
    expect(detectSecrets(`<${t}>`)).toMatchObject([{ start: 1, end: 41 }]);
    expect(detectSecrets(`{"notes": "tokens:\\n${t}\\n"}`)).toMatchObject([{ type: "GITHUB_TOKEN", start: 20, end: 60 }]);
    expect(detectSecrets(`"secret:\\n${fake(3, 30)}"`)).toMatchObject([{ type: "GENERIC_SECRET", start: 10, end: 40 }]);
  });
  it("finds nothing in ordinary prose and code", () => {
    const prose = "Summarise the quarterly report. The key idea: tokens are cheap, secrets are not. See docs/auth/README.md.";
    expect(detectSecrets(prose)).toEqual([]);
    for (const detect of Object.values(SECRET_DETECTORS)) expect(detect(prose)).toEqual([]);
    expect(looksLikePlaceholder("AKIA" + "IOSFODNN7EXAMPLE")).toBe(true);
  });
});

describe("linear time on adversarial input", () => {
  const MB = 1 << 20;
  const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
  const inputs: Record<string, string> = {
    "sk- repeated": fill("sk-"),
    "/sk-proj- + 250 chars repeated": fill(`/sk-proj-${"a".repeat(250)}`),
    "eyJ + a * 1M": "eyJ" + "a".repeat(MB),
    "eyJ repeated": fill("eyJ"),
    "JWT-like without the last dot": `eyJ${"a".repeat(2000)}.${"b".repeat(MB)}`,
    "PEM header repeated": fill("-----BEGIN PRIVATE KEY-----"),
    "PEM header and newlines": "-----BEGIN RSA PRIVATE KEY-----" + "\n".repeat(MB),
    "PEM header + base64 without END": `-----BEGIN PRIVATE KEY-----\n${fill(fake(1, 4093, B64) + "\n")}`,
    "armour header lines": fill("-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: x\n"),
    "A * 1M": "A".repeat(MB),
    "base64 run": fill(fake(2, 4099, B64)),
    "token= repeated": fill(`token=${fake(3, 30)} `),
    "keyword run": fill("secrettokenkey"),
    "slack fields": fill("xoxb-1-"),
    "webhook prefix": fill("hooks.slack.com/services/T"),
    "AKIA repeated": fill("AKIA"),
    "dotted run": fill("a."),
  };
  for (const [name, text] of Object.entries(inputs)) {
    it(`completes on ${name}`, () => {
      for (const detect of Object.values(SECRET_DETECTORS)) expect(Array.isArray(detect(text))).toBe(true);
      expect(Array.isArray(detectSecrets(text))).toBe(true);
    });
  }
});
