/**
 * One Workers Analytics Engine data point per request, rejected ones included.
 *
 * The positions of blobs and doubles are a public schema (docs/analytics.md) that SQL
 * queries and dashboards depend on: append new fields at the end, never reorder or reuse.
 * No prompt or completion text ever enters a record.
 */

export interface RequestLog {
  requestId: string;
  /** The caller's own request id, kept only when short and well-formed. */
  clientRequestId: string;
  clientId: string;
  tenant: string;
  route: string;
  method: string;
  model: string;
  provider: string;
  status: number;
  /** allow | block | error | flag ... (later stages add values). */
  decision: string;
  /** Stable error code when the request failed, else "". */
  errorCode: string;
  /** Internal reason for a failure: which check fired. Never shown to the client. */
  errorDetail: string;
  ruleIds: string[];
  rulesVersion: string;
  stream: boolean;
  /** Whether a stream ended without the upstream's end marker (cut, idle, too large). */
  streamCut: boolean;
  fallbackUsed: boolean;
  startedAt: number;
  latencyMs: number;
  upstreamLatencyMs: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  requestBytes: number;
  responseBytes: number;
  /** Set by the input firewall: scores and counts, never text. */
  firewall: FirewallLog | undefined;
  /** Set by response protection: what the output checks found, never text. */
  output: OutputLog | undefined;
  /** Set by admission when the probing score ran (issue 7): numbers and reason names only. */
  probe: ProbeLog | undefined;
}

export interface ProbeLog {
  /** allow, degrade, slow or deny: what the score decided (applied unless `shadow`). */
  action: string;
  shadow: boolean;
  score: number;
  /** Comma-separated signal names that contributed (e.g. `distinct_logit_bias_tokens`). */
  reasons: string;
}

export interface OutputLog {
  /** Findings in the response (entities, links, canary, system-prompt overlap), whatever their action. */
  findings: number;
  /** `TYPE:action:count` triples, comma-separated. */
  summary: string;
}

export interface FirewallLog {
  injection: number;
  jailbreak: number;
  /** Entities found (PII and secrets), whatever their action. */
  entities: number;
  /** `TYPE:count` pairs, comma-separated. */
  entityTypes: string;
  /** Smuggling characters found. */
  smuggled: number;
  /** Encoded payloads decoded and classified. */
  decoded: number;
  /** Characters of text scanned. */
  chars: number;
  /** Whether the request went to the tier-2 classifier. */
  escalated: boolean;
  /** Tier-2 outcome: "", ok, cached, timeout, http_error, bad_response, unavailable. */
  tier2: string;
}

export function newRequestLog(requestId: string, method: string, startedAt: number): RequestLog {
  return {
    requestId,
    clientRequestId: "",
    clientId: "",
    tenant: "",
    route: "",
    method,
    model: "",
    provider: "",
    status: 0,
    decision: "allow",
    errorCode: "",
    errorDetail: "",
    ruleIds: [],
    rulesVersion: "",
    stream: false,
    streamCut: false,
    fallbackUsed: false,
    startedAt,
    latencyMs: 0,
    upstreamLatencyMs: 0,
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    requestBytes: 0,
    responseBytes: 0,
    firewall: undefined,
    output: undefined,
    probe: undefined,
  };
}

/** Blobs are capped so one odd value cannot push a data point past Analytics Engine's 16 KB limit. */
const BLOB_MAX = 256;
const clip = (s: string): string => (s.length > BLOB_MAX ? s.slice(0, BLOB_MAX) : s);

/** The data point for a finished request; pure so the schema is unit-tested. */
export function toDataPoint(log: RequestLog): AnalyticsEngineDataPoint {
  const fw = log.firewall;
  return {
    // The index is the sampling key: per-client sampling keeps each client's view unbiased.
    indexes: [clip(log.clientId || "anonymous").slice(0, 96)],
    blobs: [
      clip(log.route), // blob1
      clip(log.model), // blob2
      clip(log.provider), // blob3
      clip(log.decision), // blob4
      clip(log.errorCode), // blob5
      clip(log.ruleIds.join(",")), // blob6
      clip(log.rulesVersion), // blob7
      clip(log.tenant), // blob8
      clip(log.requestId), // blob9
      clip(log.clientRequestId), // blob10
      clip(log.method), // blob11
      clip(log.errorDetail), // blob12
      log.stream ? "stream" : "plain", // blob13
      clip(fw?.entityTypes ?? ""), // blob14
      fw?.tier2 ?? "", // blob15
      clip(log.output?.summary ?? ""), // blob16
      log.probe === undefined ? "" : `${log.probe.action}${log.probe.shadow ? ":shadow" : ""}`, // blob17
      clip(log.probe?.reasons ?? ""), // blob18
    ],
    doubles: [
      log.status, // double1
      log.latencyMs, // double2
      log.upstreamLatencyMs, // double3
      log.promptTokens, // double4
      log.completionTokens, // double5
      log.totalTokens, // double6
      log.requestBytes, // double7
      log.responseBytes, // double8
      log.streamCut ? 1 : 0, // double9
      log.fallbackUsed ? 1 : 0, // double10
      fw?.injection ?? 0, // double11
      fw?.jailbreak ?? 0, // double12
      fw?.entities ?? 0, // double13
      fw?.smuggled ?? 0, // double14
      fw?.decoded ?? 0, // double15
      fw?.chars ?? 0, // double16
      fw === undefined ? 0 : fw.escalated ? 1 : 0, // double17
      fw === undefined ? 0 : 1, // double18: scanned by the firewall
      log.output?.findings ?? 0, // double19
      log.probe?.score ?? 0, // double20
    ],
  };
}
