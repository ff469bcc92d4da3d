/**
 * Files and fine-tuning calls to the provider, on the backbone's upstream code: the same
 * credentials, header allowlists, timeouts, no redirects and size caps (src/upstream).
 *
 * One provider holds every file and job (`files_provider`, default the first): a file lives
 * in one provider account, so a fallback would scatter a client's objects, and a job must run
 * where its training file is. There is therefore no fallback here.
 */
import type { Context } from "hono";
import { GatewayError, type ErrorCode } from "../errors";
import { getConfig, providerKey, type AppEnv, type Config, type Provider } from "../env";
import { callProvider, readCapped, type UpstreamCall } from "../upstream/fetch";
import { providerError } from "../upstream/forward";
import { clientHeaders, upstreamHeaders } from "../upstream/headers";
import { isObjectId, type ObjectKind } from "./objects";

/** The provider configured for files and fine-tuning. */
export function filesProvider(config: Config): Provider {
  const id = config.files_provider;
  // The config schema guarantees a provider and that `files_provider` names one.
  return (id === undefined ? config.providers[0] : config.providers.find((p) => p.id === id)) as Provider;
}

export interface FilesCall {
  call: UpstreamCall;
  provider: Provider;
}

/** One call to the files provider. A FormData body gets its multipart boundary from the runtime. */
export async function callFiles(c: Context<AppEnv>, method: "GET" | "POST" | "DELETE", path: string, body?: string | FormData): Promise<FilesCall> {
  const provider = filesProvider(getConfig(c.env));
  const headers = upstreamHeaders(c.req.raw.headers, { scheme: provider.auth === "api-key" ? "api-key" : "bearer", key: providerKey(c.env, provider) }, c.get("requestId"));
  if (typeof body !== "string") delete headers["content-type"];
  c.get("log").provider = provider.id;
  const call = await callProvider(provider, { method, path, headers, ...(body === undefined ? {} : { body }) }, c.req.raw.signal);
  c.get("log").upstreamLatencyMs = call.latencyMs;
  return { call, provider };
}

/**
 * The provider's answer as bytes, capped. A 404 becomes `notFound` (the object is gone at the
 * provider), any other failure the backbone's mapping (provider messages are never relayed).
 */
export async function readBody({ call, provider }: FilesCall, c: Context<AppEnv>, notFound: ErrorCode | undefined, maxBytes: number): Promise<Uint8Array> {
  const status = call.response.status;
  if (status === 404 && notFound !== undefined) {
    call.abort("not found");
    await call.response.body?.cancel().catch(() => {});
    throw new GatewayError(notFound, { detail: `provider ${provider.id}: status 404` });
  }
  if (status < 200 || status >= 300) throw await providerError(call, provider);
  const bytes = await readCapped(call, maxBytes, provider.id);
  c.get("log").responseBytes = bytes.byteLength;
  return bytes;
}

const decoder = new TextDecoder();

/** The provider's JSON object (a file, a job, a deletion). */
export async function readObject(fc: FilesCall, c: Context<AppEnv>, notFound?: ErrorCode): Promise<Record<string, unknown>> {
  const bytes = await readBody(fc, c, notFound, getConfig(c.env).max_response_bytes);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new GatewayError("upstream_error", { detail: `provider ${fc.provider.id}: response is not JSON` });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new GatewayError("upstream_error", { detail: `provider ${fc.provider.id}: response is not an object` });
  return value as Record<string, unknown>;
}

/** The id of an object the provider created; one the gateway could not address later is an error. */
export function createdId(kind: ObjectKind, value: Record<string, unknown>, provider: Provider): string {
  if (!isObjectId(kind, value.id)) throw new GatewayError("upstream_error", { detail: `provider ${provider.id}: created ${kind} has no well-formed id` });
  return value.id;
}

/** `created_at` in Unix seconds, or now when the provider gave none. */
export function createdAt(value: Record<string, unknown>): number {
  const t = value.created_at;
  return typeof t === "number" && Number.isSafeInteger(t) && t > 0 ? t : Math.floor(Date.now() / 1000);
}

/** A JSON answer with the provider's allowlisted headers. */
export function objectResponse(value: unknown, from: FilesCall | undefined): Response {
  const headers = from === undefined ? new Headers() : clientHeaders(from.call.response.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(value), { status: 200, headers });
}

/**
 * Sends a file to the provider as a multipart upload rebuilt from its checked parts (purpose
 * and file, nothing else) and returns the created file object and its id. Used by uploads and
 * by the release of a quarantined file, which must reach the provider the same way.
 */
export async function uploadToProvider(
  c: Context<AppEnv>,
  file: { purpose: string; filename: string; bytes: Uint8Array },
): Promise<{ fc: FilesCall; value: Record<string, unknown>; id: string }> {
  const form = new FormData();
  form.append("purpose", file.purpose);
  form.append("file", new File([file.bytes], file.filename, { type: "application/octet-stream" }));
  const fc = await callFiles(c, "POST", "/files", form);
  const value = await readObject(fc, c);
  return { fc, value, id: createdId("file", value, fc.provider) };
}

/** Deletes a file the gateway just created at the provider, when recording its owner failed. */
export function deleteAtProvider(c: Context<AppEnv>, id: string): Promise<void> {
  return callFiles(c, "DELETE", `/files/${id}`).then((r) => r.call.response.body?.cancel());
}
