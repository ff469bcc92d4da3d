/**
 * The Worker's types and its deployment configuration.
 *
 * `AIGIS_CONFIG` (a `[vars]` table in wrangler.toml, or a JSON string from `--var`) is
 * validated by `ConfigSchema` once per isolate and cached at module scope. A config that
 * does not validate fails closed: every request gets 503 `config_invalid` and one log line.
 */
import type { ResponseProtection } from "./protect/response";
import { z } from "zod";
import type { RedactionVault } from "./firewall/redact";
import { Tier2ConfigSchema } from "./firewall/tier2";
import { JwtIssuerListSchema } from "./auth/jwt";
import { GatewayError } from "./errors";
import type { RequestLog } from "./analytics/record";
import type { Identity } from "./auth/identity";
import type { RulesState } from "./rules/store";
import type { Route } from "./routes";
import type { Limits } from "./quota/limits";
import type { ProbePolicy } from "./extraction/score";
import type { DashboardSession } from "./dashboard/access";
import type { ListQuery, ObjectTarget, UploadedFile } from "./files/request";
import type { CreatedResponse } from "./policy/objects";
import { isSecureOrLocal } from "./util/url";

const ProviderSchema = z.strictObject({
  /** Stable name used in `fallback` and analytics. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/),
  /**
   * Base URL including the version path, e.g. https://api.openai.com/v1. Plain http only to a
   * local host (a model on loopback, tests): anywhere else it would carry the provider key in clear.
   */
  base_url: z.url({ protocol: /^https?$/ }).refine(isSecureOrLocal, "base_url must be https (http only for loopback, *.localhost and *.test hosts)"),
  /** Name of the Worker secret holding the provider key; omitted for keyless local models. */
  key_secret: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
  /** `bearer` (OpenAI, vLLM, Workers AI) or `api-key` (Azure OpenAI). */
  auth: z.enum(["bearer", "api-key"]).default("bearer"),
  /** Azure-style `?api-version=`; appended to every upstream URL when set. */
  api_version: z.string().max(32).optional(),
  /** Model names served by this provider. A trailing `*` matches a prefix (routing only). */
  models: z.array(z.string().min(1).max(128)).min(1),
  /** Public model name -> provider's model name (e.g. an Azure deployment). */
  model_map: z.record(z.string(), z.string()).default({}),
  /** Provider tried when this one fails before the first byte (connection error, timeout, 5xx). */
  fallback: z.string().optional(),
  /** Time until the response headers arrive. */
  timeout_ms: z.number().int().min(100).max(600_000).default(60_000),
  /** Longest silence between two stream chunks before the stream is cut. */
  idle_timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
});
export type Provider = z.infer<typeof ProviderSchema>;

export const ConfigSchema = z
  .strictObject({
    providers: z.array(ProviderSchema).min(1),
    /** Request bodies above this many bytes get 413 before they are parsed. */
    max_body_bytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(4 * 1024 * 1024),
    /** Deepest JSON nesting accepted; OpenAI requests need well under 20. */
    max_json_depth: z.number().int().min(4).max(512).default(64),
    /** Cap on a non-streamed upstream body and on the total bytes of a stream. */
    max_response_bytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(32 * 1024 * 1024),
    /**
     * Uploads (POST /v1/files) above this many bytes get 413 before they are parsed. The whole
     * file is held in memory to be scanned and re-sent, about three copies at the peak, and a
     * Worker isolate has 128 MB: hence the default and the hard maximum (docs/configuration.md).
     */
    max_upload_bytes: z.number().int().min(1024).max(100 * 1024 * 1024).default(25 * 1024 * 1024),
    /** The provider that stores files and runs fine-tuning jobs (an id from `providers`); default the first. */
    files_provider: z.string().optional(),
    /** JWT / OIDC issuers whose access tokens are accepted besides API keys (docs/auth.md). */
    auth: z.strictObject({ jwt_issuers: JwtIssuerListSchema.default([]) }).prefault({}),
    /** The prompt firewall's deployment settings; its rules are in the rules document (docs/firewall.md). */
    firewall: z
      .strictObject({
        /** Second-stage classifier for the uncertain band (docs/firewall-tier2.md). Absent: tier 1 alone. */
        tier2: Tier2ConfigSchema.optional(),
      })
      .prefault({}),
    /**
     * Longest wait for a client's (or tenant's) Durable Object to admit a request. The object
     * does no outbound I/O and answers in milliseconds; a call the runtime neither answers nor
     * fails would otherwise hold the request until the client gives up (docs/faults.md).
     */
    admission_timeout_ms: z.number().int().min(10).max(60_000).default(5_000),
    /** The audit trail (docs/audit.md). */
    audit: z
      .strictObject({
        /** Records older than this are deleted from D1 behind a sealed anchor, once a day. */
        retention_days: z.number().int().min(1).max(3650).default(400),
      })
      .prefault({}),
    /** Training files the intake quarantined, held in R2 for review (docs/training-data.md). */
    quarantine: z
      .strictObject({
        /** A held file nobody decided on is deleted this many days after it was held. */
        retention_days: z.number().int().min(1).max(365).default(30),
      })
      .prefault({}),
    cors: z
      .strictObject({
        /** Exact origins allowed to call from a browser. Empty: CORS off (no headers, no preflight). */
        origins: z.array(z.url()).default([]),
        max_age: z.number().int().min(0).max(86_400).default(600),
      })
      .default({ origins: [], max_age: 600 }),
  })
  .superRefine((cfg, ctx) => {
    const ids = new Set(cfg.providers.map((p) => p.id));
    if (ids.size !== cfg.providers.length) ctx.addIssue({ code: "custom", message: "provider ids must be unique", path: ["providers"] });
    if (cfg.files_provider !== undefined && !ids.has(cfg.files_provider)) {
      ctx.addIssue({ code: "custom", message: `files_provider "${cfg.files_provider}" is not a provider id`, path: ["files_provider"] });
    }
    cfg.providers.forEach((p, i) => {
      if (p.fallback !== undefined && (!ids.has(p.fallback) || p.fallback === p.id)) {
        ctx.addIssue({ code: "custom", message: `fallback "${p.fallback}" is not another provider`, path: ["providers", i, "fallback"] });
      }
    });
  });
export type Config = z.infer<typeof ConfigSchema>;

/**
 * What the stages hand each other on the request's context. Read them with `c.get(name)`,
 * not `c.var.name`: hono's `c.var` copies every variable into a new object on each access,
 * which profiling showed as 5-6% of the gateway's CPU (docs/benchmarks.md, `--profile`).
 */
export interface AppVariables {
  requestId: string;
  /** Filled along the pipeline; written to Analytics Engine when the request is complete. */
  log: RequestLog;
  route: Route;
  /** The raw request body after the size limit, before parsing. */
  rawBody: Uint8Array;
  /** The validated request body (after the unknown-field policy). */
  body: Record<string, unknown>;
  identity: Identity;
  rules: RulesState;
  /** Set by the forward stage for streams: settles when the stream has ended. */
  streamDone: Promise<void>;
  /** Set by admission when quota was reserved: what the settle stage must settle. */
  reservation: ReservationRef;
  /** Set by the forward stage: whether the provider was reached and what it reported. */
  upstream: UpstreamOutcome;
  /** Set by the forward stage on /v1/responses (for streams, once the stream has ended): the ids the answer created. */
  createdResponse: CreatedResponse | undefined;
  /** Set by the input firewall: placeholder -> original for this request (response protection restores them). */
  redactions: RedactionVault;
  /** Set by the output-protection stage: the checks the forward stage applies to the response. */
  protection: ResponseProtection;
  /** Set by admission when the probing score degraded the request: the response is coarsened too. */
  probeDegrade: ProbePolicy["degrade"];
  /** Set on dashboard routes by `requireSession` (src/dashboard/access.ts). */
  dashboardSession: DashboardSession;
  /** Files and fine-tuning: the operation and the path's object id (route stage, id already checked). */
  objectOp: ObjectTarget;
  /** POST /v1/files: the parsed upload (parse stage); job creation uses `body`. */
  upload: UploadedFile;
  /** GET /v1/files and GET /v1/fine_tuning/jobs: the validated query (parse stage). */
  listQuery: ListQuery;
}

export interface ReservationRef {
  clientId: string;
  limits: Limits;
  /** Output tokens the budgets pay for (all choices), when smaller than the cap. */
  granted: number | undefined;
  /** Set when a tenant budget was reserved too. */
  tenantLimits: Limits | undefined;
  /** True when the reservation must be released whatever happens (a later check refused). */
  released: boolean;
  /** The admission estimate of input tokens, charged when the provider reports no usage. */
  inputEstimate: number;
  tenant: string;
}

export interface UpstreamOutcome {
  /** The provider produced output the client may have received. */
  reached: boolean;
  /** Tokens as the provider reported them; undefined when it did not. */
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** For streams cut or abandoned: output tokens counted from the deltas that were sent. */
  countedOutputTokens: number | undefined;
  aborted: boolean;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };

let cached: { source: unknown; result: Config | GatewayError } | undefined;

/** Validated configuration, parsed once per isolate (re-parsed only if the binding object changes). */
export function getConfig(env: Env): Config {
  const source: unknown = env.AIGIS_CONFIG;
  if (cached === undefined || cached.source !== source) {
    cached = { source, result: parseConfig(source) };
  }
  if (cached.result instanceof GatewayError) throw cached.result;
  return cached.result;
}

function parseConfig(source: unknown): Config | GatewayError {
  let value = source;
  if (typeof source === "string") {
    try {
      value = JSON.parse(source);
    } catch {
      value = undefined;
    }
  }
  const parsed = ConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  console.error(`aigis: AIGIS_CONFIG is invalid, failing closed: ${where}`);
  return new GatewayError("config_invalid", { detail: where });
}

/** A Worker secret by name (secrets are not in the generated Env type: they are set with `wrangler secret put`). */
export function secretOf(env: Env, name: string): string | undefined {
  const value = (env as unknown as Record<string, unknown>)[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** A provider's key from Worker secrets; a configured but missing secret fails closed. */
export function providerKey(env: Env, provider: Provider): string | undefined {
  if (provider.key_secret === undefined) return undefined;
  const value = secretOf(env, provider.key_secret);
  if (value === undefined) {
    throw new GatewayError("provider_not_configured", { detail: `secret ${provider.key_secret} missing for provider ${provider.id}` });
  }
  return value;
}
