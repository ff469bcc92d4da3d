/**
 * `GET /admin`: the dashboard's one page, rendered on the server as a shell (the sign-in form
 * when there is no valid session), filled in by /admin/app.js from `GET /admin/api/overview`.
 * The only request data in the HTML is the signed-in client id and the CSRF token, both
 * escaped; everything else reaches the DOM through `textContent` (./assets.ts).
 */
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { findSession } from "./access";
import { APP_CSS, APP_JS } from "./assets";
import { csrfToken } from "./session";

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for an HTML text node or a quoted attribute value (OWASP XSS Prevention Cheat Sheet, rules 1 and 2). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] as string);
}

function layout(head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${head}<title>Aigis dashboard</title>
<link rel="stylesheet" href="/admin/app.css">
<script src="/admin/app.js" defer></script>
</head>
<body>
${body}
</body>
</html>
`;
}

/** The sign-in form. Without script it would post a form body, which the endpoint refuses (415): the key only ever travels as JSON. */
export function signInPage(): string {
  return layout(
    "",
    `<header class="top"><h1>Aigis</h1><span class="sub">gateway dashboard</span></header>
<main class="narrow">
<form id="sign-in" method="post" action="/admin/session">
<h2>Sign in</h2>
<p>Use an API key with the <code>admin</code> scope. It is exchanged for a 15-minute session and never stored by the page.</p>
<label for="key">Admin API key</label>
<input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required>
<button type="submit">Sign in</button>
<p id="sign-in-error" class="error" role="alert" hidden></p>
</form>
</main>`,
  );
}

function section(id: string, title: string): string {
  return `<section id="${id}"><h2>${title}</h2><p class="note" id="${id}-note"></p><div class="body" id="${id}-body"></div></section>`;
}

/** The dashboard shell for a signed-in client; the CSRF token sign-out needs is in a meta tag. */
export function dashboardPage(clientId: string, csrf: string): string {
  return layout(
    `<meta name="aigis-csrf-token" content="${escapeHtml(csrf)}">\n`,
    `<header class="top"><h1>Aigis</h1><span class="sub">gateway dashboard</span>
<span class="who">Signed in as <strong id="who">${escapeHtml(clientId)}</strong></span>
<button id="refresh" type="button">Refresh</button>
<button id="sign-out" type="button">Sign out</button></header>
<main>
<p id="status" class="note" role="status">Loading…</p>
${section("events", "Recent security events")}
${section("usage", "Usage and remaining budgets")}
${section("top-rules", "Top rules firing")}
${section("rules", "Active rules")}
</main>`,
  );
}

export async function page(c: Context<AppEnv>): Promise<Response> {
  const current = await findSession(c);
  if (current === undefined) return c.html(signInPage());
  return c.html(dashboardPage(current.identity.clientId, await csrfToken(current.key, current.token)));
}

export function script(c: Context<AppEnv>): Response {
  return c.body(APP_JS, 200, { "content-type": "text/javascript; charset=utf-8" });
}

export function styles(c: Context<AppEnv>): Response {
  return c.body(APP_CSS, 200, { "content-type": "text/css; charset=utf-8" });
}
