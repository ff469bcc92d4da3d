/**
 * Every error the gateway answers with is a `GatewayError` carrying a stable code from
 * `ERRORS`. Only `errorResponse` (called from `app.onError`) turns one into a body, in the
 * wire shape the OpenAI SDKs parse: `{"error":{"message","type","code","param"}}`.
 *
 * Messages are generic on purpose: the client learns *that* a check failed and a stable
 * code, never which internal rule or pattern fired (that goes to analytics through
 * `detail`). docs/errors.md lists every code; a test keeps the two in step.
 */

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "insufficient_quota"
  | "server_error";

interface ErrorSpec {
  readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 429 | 500 | 502 | 503 | 504;
  readonly type: ErrorType;
  readonly message: string;
  /** Whether an SDK should retry; sent as `x-should-retry` so SDKs do not guess from the status. */
  readonly retry: boolean;
}

export const ERRORS = {
  not_found: { status: 404, type: "not_found_error", message: "Unknown route.", retry: false },
  method_not_allowed: { status: 405, type: "invalid_request_error", message: "Method not allowed for this route.", retry: false },
  request_too_large: { status: 413, type: "invalid_request_error", message: "Request body is too large.", retry: false },
  unsupported_media_type: { status: 415, type: "invalid_request_error", message: "Content-Type must be application/json.", retry: false },
  invalid_encoding: { status: 400, type: "invalid_request_error", message: "Request body is not valid UTF-8.", retry: false },
  invalid_json: { status: 400, type: "invalid_request_error", message: "Request body is not valid JSON.", retry: false },
  nesting_too_deep: { status: 400, type: "invalid_request_error", message: "Request body is nested too deeply.", retry: false },
  invalid_parameter: { status: 400, type: "invalid_request_error", message: "Invalid value for a request parameter.", retry: false },
  unknown_parameter: { status: 400, type: "invalid_request_error", message: "Unrecognized request argument supplied.", retry: false },
  invalid_unicode: { status: 400, type: "invalid_request_error", message: "A string in the request is not valid Unicode (unpaired surrogate).", retry: false },
  too_many_parts: { status: 400, type: "invalid_request_error", message: "The request has too many text parts.", retry: false },
  prompt_blocked: { status: 400, type: "invalid_request_error", message: "The request was blocked by the gateway's content policy.", retry: false },
  response_blocked: { status: 400, type: "invalid_request_error", message: "The response was withheld by the gateway's content policy.", retry: false },
  image_url_not_allowed: { status: 400, type: "invalid_request_error", message: "An image URL in the request is not allowed.", retry: false },
  conversation_not_supported: { status: 400, type: "invalid_request_error", message: "This gateway does not serve conversations: `conversation` cannot be used. Chain responses with `previous_response_id`.", retry: false },
  missing_parameter: { status: 400, type: "invalid_request_error", message: "Missing required parameter.", retry: false },
  invalid_multipart: { status: 400, type: "invalid_request_error", message: "The multipart/form-data body could not be parsed.", retry: false },
  training_file_rejected: { status: 400, type: "invalid_request_error", message: "The training file was not accepted by the gateway's intake checks.", retry: false },
  invalid_api_key: { status: 401, type: "authentication_error", message: "Invalid or missing credentials.", retry: false },
  auth_rate_limited: { status: 429, type: "rate_limit_error", message: "Too many failed authentication attempts. Retry later.", retry: false },
  auth_unavailable: { status: 503, type: "server_error", message: "Credentials cannot be checked right now.", retry: true },
  model_not_allowed: { status: 403, type: "permission_error", message: "This key may not use the requested model.", retry: false },
  parameter_not_allowed: { status: 403, type: "permission_error", message: "A request parameter is not allowed for this key.", retry: false },
  route_not_allowed: { status: 403, type: "permission_error", message: "This key may not use this endpoint.", retry: false },
  insufficient_scope: { status: 403, type: "permission_error", message: "This key lacks the scope this endpoint needs.", retry: false },
  csrf_rejected: { status: 403, type: "permission_error", message: "Cross-site request refused.", retry: false },
  model_not_found: { status: 404, type: "invalid_request_error", message: "The model does not exist or you do not have access to it.", retry: false },
  file_not_found: { status: 404, type: "invalid_request_error", message: "The file does not exist or you do not have access to it.", retry: false },
  job_not_found: { status: 404, type: "invalid_request_error", message: "The fine-tuning job does not exist or you do not have access to it.", retry: false },
  response_not_found: { status: 404, type: "invalid_request_error", message: "The response does not exist or you do not have access to it.", retry: false },
  item_not_found: { status: 404, type: "invalid_request_error", message: "The item does not exist or you do not have access to it.", retry: false },
  intake_report_not_found: { status: 404, type: "invalid_request_error", message: "The intake report does not exist or you do not have access to it.", retry: false },
  quarantined_file_not_found: { status: 404, type: "invalid_request_error", message: "The quarantined file does not exist or is no longer held.", retry: false },
  upstream_rate_limited: { status: 429, type: "rate_limit_error", message: "The model provider is rate limiting requests. Retry later.", retry: true },
  upstream_rejected: { status: 400, type: "invalid_request_error", message: "The model provider rejected the request.", retry: false },
  upstream_error: { status: 502, type: "server_error", message: "The model provider returned an error.", retry: true },
  upstream_unavailable: { status: 502, type: "server_error", message: "The model provider could not be reached.", retry: true },
  upstream_response_too_large: { status: 502, type: "server_error", message: "The model provider's response exceeded the size limit.", retry: false },
  upstream_timeout: { status: 504, type: "server_error", message: "The model provider did not answer in time.", retry: true },
  stream_interrupted: { status: 502, type: "server_error", message: "The response stream was interrupted.", retry: true },
  rate_limited: { status: 429, type: "rate_limit_error", message: "Rate limit reached for this key. Retry after the time in Retry-After.", retry: true },
  concurrency_limited: { status: 429, type: "rate_limit_error", message: "Too many streams open at once for this key.", retry: true },
  probing_limited: { status: 429, type: "rate_limit_error", message: "This key sent too many information-rich queries (logprobs, logit_bias, near-duplicate prompts) in a short time. Retry after the time in Retry-After.", retry: false },
  insufficient_quota: { status: 429, type: "insufficient_quota", message: "This key's budget is used up for the current period.", retry: false },
  request_exceeds_limit: { status: 400, type: "invalid_request_error", message: "This request alone is larger than this key's token limit allows.", retry: false },
  model_not_priced: { status: 403, type: "permission_error", message: "This model cannot be used under a spend budget.", retry: false },
  admission_unavailable: { status: 503, type: "server_error", message: "The gateway cannot check this client's limits right now.", retry: true },
  ownership_unavailable: { status: 503, type: "server_error", message: "The gateway cannot check who owns this object right now.", retry: true },
  provider_not_configured: { status: 503, type: "server_error", message: "The gateway is not configured for this model.", retry: false },
  config_invalid: { status: 503, type: "server_error", message: "The gateway configuration is invalid.", retry: false },
  dashboard_not_configured: { status: 503, type: "server_error", message: "The dashboard is not configured on this gateway.", retry: false },
  audit_unavailable: { status: 503, type: "server_error", message: "The audit trail cannot be reached right now.", retry: true },
  quarantine_unavailable: { status: 503, type: "server_error", message: "The quarantine store cannot be reached right now.", retry: true },
  rules_unavailable: { status: 503, type: "server_error", message: "The gateway has no valid rules and refuses to run unchecked.", retry: true },
  internal_error: { status: 500, type: "server_error", message: "Internal error.", retry: true },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export interface GatewayErrorOptions {
  /** The request field at fault, in the OpenAI style (`messages[0].content`). Safe to show. */
  param?: string | null;
  /** A client-safe message that replaces the generic one (never user input). */
  message?: string;
  /** Internal reason for analytics and logs; never sent to the client. */
  detail?: string;
  /** Extra response headers (Retry-After, Allow, WWW-Authenticate ...). */
  headers?: Record<string, string>;
  /**
   * A client-safe report sent beside `error` (the intake scan's findings: line numbers, rule
   * ids and counts, never the data). SDKs ignore unknown top-level fields.
   */
  report?: { name: string; value: unknown };
  /** Further client-safe fields beside `error` (what became of a quarantined upload). */
  extra?: Record<string, unknown>;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly param: string | null;
  readonly detail: string | undefined;
  readonly headers: Record<string, string>;
  readonly publicMessage: string;
  readonly report: GatewayErrorOptions["report"];
  readonly extra: GatewayErrorOptions["extra"];

  constructor(code: ErrorCode, opts: GatewayErrorOptions = {}) {
    super(opts.detail ?? code);
    this.name = "GatewayError";
    this.code = code;
    this.param = opts.param ?? null;
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
    this.publicMessage = opts.message ?? ERRORS[code].message;
    this.report = opts.report;
    this.extra = opts.extra;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

/** The `error` object of the wire shape; also used for the final event of a cut stream. */
export function errorBody(err: GatewayError): { error: { message: string; type: ErrorType; code: ErrorCode; param: string | null } } {
  return { error: { message: err.publicMessage, type: ERRORS[err.code].type, code: err.code, param: err.param } };
}

/** Anything thrown that is not a GatewayError becomes `internal_error`, with no stack or message shown. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  // Only the class name: runtime messages can quote input (V8's JSON.parse errors do).
  const detail = err instanceof Error ? `unexpected ${err.name}` : "unexpected non-error thrown";
  return new GatewayError("internal_error", { detail });
}

/** The one place that writes an error response. */
export function errorResponse(err: GatewayError, requestId: string): Response {
  const headers = new Headers(err.headers);
  headers.set("content-type", "application/json");
  headers.set("x-request-id", requestId);
  headers.set("x-should-retry", String(ERRORS[err.code].retry));
  headers.set("cache-control", "no-store");
  const body = { ...errorBody(err), ...(err.report === undefined ? {} : { [err.report.name]: err.report.value }), ...err.extra };
  return new Response(JSON.stringify(body), { status: err.status, headers });
}
