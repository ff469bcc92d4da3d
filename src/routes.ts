/**
 * The public surface: which paths exist, with which method, and where each is forwarded.
 * Anything not listed is 404; a listed path with another method is 405 with `Allow`.
 */

/** Routes whose JSON body is validated and forwarded to a provider. */
export type ApiRoute = "chat" | "responses" | "embeddings" | "completions";
export type Route = ApiRoute | "models" | "usage" | "healthz" | "admin" | "dashboard";

export interface RouteSpec {
  readonly route: Route;
  readonly method: "GET" | "POST";
  /** Path appended to the provider's base URL (which already ends in /v1). */
  readonly upstreamPath?: string;
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
};

export function isApiRoute(route: Route): route is ApiRoute {
  return route === "chat" || route === "responses" || route === "embeddings" || route === "completions";
}
