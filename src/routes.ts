/**
 * The public surface: which paths exist, with which method, and where each is forwarded.
 * Anything not listed is 404; a listed path with another method is 405 with `Allow`.
 */
import { OBJECT_IDS, type ObjectOp, type PathIdKind } from "./files/objects";

/** Routes whose JSON body is validated and forwarded to a provider. */
export type ApiRoute = "chat" | "responses" | "embeddings" | "completions";
/** Files and fine-tuning jobs (src/files): objects the gateway records per client. */
export type ObjectRoute = "files" | "fine_tuning";
export type Route = ApiRoute | ObjectRoute | "models" | "usage" | "healthz" | "admin" | "dashboard";
export type Method = "GET" | "POST" | "DELETE";

export interface RouteSpec {
  readonly route: Route;
  readonly method: Method;
  /** Path appended to the provider's base URL (which already ends in /v1). */
  readonly upstreamPath?: string;
  /** Files and fine-tuning: the operation (src/files). */
  readonly op?: ObjectOp;
}

export const ROUTES: Readonly<Record<string, RouteSpec>> = {
  "/v1/chat/completions": { route: "chat", method: "POST", upstreamPath: "/chat/completions" },
  "/v1/responses": { route: "responses", method: "POST", upstreamPath: "/responses" },
  "/v1/embeddings": { route: "embeddings", method: "POST", upstreamPath: "/embeddings" },
  "/v1/completions": { route: "completions", method: "POST", upstreamPath: "/completions" },
  "/v1/models": { route: "models", method: "GET" },
  "/v1/usage": { route: "usage", method: "GET" },
  "/healthz": { route: "healthz", method: "GET" },
  "/admin/v1/rules": { route: "admin", method: "GET" },
  "/admin/v1/keys/revoke": { route: "admin", method: "POST" },
  "/admin/v1/rules/signal": { route: "admin", method: "POST" },
  "/admin/v1/probing": { route: "admin", method: "GET" },
  // The operator dashboard (src/dashboard): a session cookie, not a bearer key.
  "/admin": { route: "dashboard", method: "GET" },
  "/admin/app.js": { route: "dashboard", method: "GET" },
  "/admin/app.css": { route: "dashboard", method: "GET" },
  "/admin/session": { route: "dashboard", method: "POST" },
  "/admin/api/overview": { route: "dashboard", method: "GET" },
  "/admin/logout": { route: "dashboard", method: "POST" },
  "/admin/v1/audit": { route: "admin", method: "GET" },
  "/admin/v1/audit/events": { route: "admin", method: "POST" },
  "/admin/v1/intake_reports": { route: "admin", method: "GET" },
  "/admin/v1/quarantine": { route: "admin", method: "GET" },
};

/**
 * OpenAI's files and fine-tuning paths: several methods on one path, and an object id as a
 * path segment. The id's shape is checked by the route stage before anything looks it up.
 */
const OBJECT_OPS: readonly { pattern: RegExp; route: ObjectRoute; kind?: PathIdKind; ops: Partial<Record<Method, ObjectOp>> }[] = [
  { pattern: /^\/v1\/files$/, route: "files", ops: { GET: "file.list", POST: "file.upload" } },
  // Before `/v1/files/{id}/content`, the first pattern that matches wins: there the segment
  // `intake_reports` would be taken for a (malformed) file id when the report id is `content`.
  { pattern: /^\/v1\/files\/intake_reports\/([^/]+)$/, route: "files", kind: "intake_report", ops: { GET: "file.intake_report" } },
  { pattern: /^\/v1\/files\/([^/]+)$/, route: "files", kind: "file", ops: { GET: "file.retrieve", DELETE: "file.delete" } },
  { pattern: /^\/v1\/files\/([^/]+)\/content$/, route: "files", kind: "file", ops: { GET: "file.content" } },
  { pattern: /^\/v1\/fine_tuning\/jobs$/, route: "fine_tuning", ops: { GET: "job.list", POST: "job.create" } },
  { pattern: /^\/v1\/fine_tuning\/jobs\/([^/]+)$/, route: "fine_tuning", kind: "job", ops: { GET: "job.retrieve" } },
  { pattern: /^\/v1\/fine_tuning\/jobs\/([^/]+)\/cancel$/, route: "fine_tuning", kind: "job", ops: { POST: "job.cancel" } },
];

/** Admin paths that name a held file (src/admin/quarantine.ts): its id is checked like a file id. */
const ADMIN_ID_PATHS: readonly { pattern: RegExp; kind: PathIdKind; methods: readonly Method[] }[] = [
  { pattern: /^\/admin\/v1\/quarantine\/([^/]+)$/, kind: "quarantined_file", methods: ["GET"] },
  { pattern: /^\/admin\/v1\/quarantine\/([^/]+)\/content$/, kind: "quarantined_file", methods: ["GET"] },
  { pattern: /^\/admin\/v1\/quarantine\/([^/]+)\/(?:release|discard)$/, kind: "quarantined_file", methods: ["POST"] },
];

/** The same, with each path's specs built once. */
const OBJECT_PATHS = [
  ...OBJECT_OPS.map((p) => ({
    pattern: p.pattern,
    kind: p.kind,
    specs: Object.entries(p.ops).map(([method, op]): RouteSpec => ({ route: p.route, method: method as Method, op })),
  })),
  ...ADMIN_ID_PATHS.map((p) => ({ pattern: p.pattern, kind: p.kind, specs: p.methods.map((method): RouteSpec => ({ route: "admin", method })) })),
];

/** A known path: its spec per method, and the object id it names (not yet checked). */
export interface PathMatch {
  specs: readonly RouteSpec[];
  id?: { kind: PathIdKind; value: string; param: string };
}

/** The specs of `path`, or undefined for a path the gateway does not serve. */
export function matchPath(path: string): PathMatch | undefined {
  if (Object.hasOwn(ROUTES, path)) return { specs: [ROUTES[path] as RouteSpec] };
  for (const p of OBJECT_PATHS) {
    const m = p.pattern.exec(path);
    if (m === null) continue;
    return p.kind === undefined ? { specs: p.specs } : { specs: p.specs, id: { kind: p.kind, value: m[1] ?? "", param: OBJECT_IDS[p.kind].param } };
  }
  return undefined;
}

export function isApiRoute(route: Route): route is ApiRoute {
  return route === "chat" || route === "responses" || route === "embeddings" || route === "completions";
}
