/**
 * The dashboard's script and stylesheet, served as /admin/app.js and /admin/app.css (the CSP
 * allows no inline script or style). Plain browser JavaScript, no build step and no library.
 *
 * Every value from the gateway is attacker-influenced (client ids, rule ids, model names) and
 * reaches the page through `textContent` only: the script never assigns `innerHTML` or
 * `outerHTML`, never calls `insertAdjacentHTML` or `document.write`, and builds every element
 * with `createElement` (test/dashboard.test.ts checks this source for those sinks).
 */

export const APP_JS = String.raw`"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function table(headings, rows) {
    var t = el("table");
    var head = el("tr");
    headings.forEach(function (h) { head.appendChild(el("th", h)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (cells) {
      var tr = body.appendChild(el("tr"));
      cells.forEach(function (cell) { tr.appendChild(cell instanceof Node ? wrap(cell) : el("td", cell)); });
    });
    return t;
  }

  function wrap(node) {
    var td = el("td");
    td.appendChild(node);
    return td;
  }

  function num(n) {
    return typeof n === "number" ? n.toLocaleString("en-US", { maximumFractionDigits: 4 }) : "—";
  }

  function figure(f) {
    if (!f) return "—";
    return f.limit === null ? num(f.used) + " (no limit)" : num(f.used) + " / " + num(f.limit);
  }

  function left(f) {
    return f && f.remaining !== null ? num(f.remaining) : "—";
  }

  function time(iso) {
    return String(iso).replace("T", " ").replace(/\.\d+Z$/, "Z");
  }

  function detailText(detail) {
    var text = Object.keys(detail || {}).map(function (k) { return k + "=" + String(detail[k]); }).join(" ");
    return text.length > 300 ? text.slice(0, 300) + "…" : text;
  }

  async function errorMessage(res) {
    try {
      var body = await res.json();
      return body && body.error && typeof body.error.message === "string" ? body.error.message : "HTTP " + res.status;
    } catch (e) {
      return "HTTP " + res.status;
    }
  }

  function setUpSignIn(form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var error = $("sign-in-error");
      var input = $("key");
      error.hidden = true;
      var res = await fetch("/admin/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: input.value }), credentials: "same-origin" });
      input.value = "";
      if (res.ok) {
        location.assign("/admin");
        return;
      }
      error.textContent = await errorMessage(res);
      error.hidden = false;
    });
  }

  // One section: its note, then its content, or a line saying there is nothing to show.
  function fill(id, note, content, empty) {
    var body = $(id + "-body");
    clear(body);
    $(id + "-note").textContent = note;
    if (content) body.appendChild(content);
    else if (empty) body.appendChild(el("p", empty, "empty"));
  }

  var AUDIT_UNREADABLE = "The audit trail could not be read just now.";

  function renderEvents(audit) {
    if (!audit.available) return fill("events", AUDIT_UNREADABLE);
    var note = "The newest " + audit.events.length + " of the last " + audit.records_read + " audit records (chain head #" + audit.head_seq + "; waiting for D1: " + audit.pending + "; dropped: " + audit.dropped + ").";
    fill("events", note, audit.events.length > 0 && table(["#", "Time (UTC)", "Kind", "Action", "Rule", "Client", "Tenant", "Details"], audit.events.map(function (e) {
      return [String(e.seq), time(e.at), e.kind, e.action, e.rule, e.client, e.tenant, detailText(e.detail)];
    })), "No audit records yet.");
  }

  function usageCells(c) {
    var u = c.usage;
    var head = [c.client_id, c.tenant, c.plan, c.keys + " (" + c.active_keys + ")"];
    var none = ["—", "—", "—", "—", "—", "—"];
    if (!c.metered) return head.concat(["not metered: the plan has no limits"], none);
    if (!u) return head.concat(["unavailable"], none);
    return head.concat([figure(u.day.tokens), left(u.day.tokens), figure(u.month.tokens), left(u.month.tokens), figure(u.day.spend_usd), left(u.month.spend_usd), num(u.streams.active) + (u.streams.limit === null ? "" : " / " + num(u.streams.limit))]);
  }

  function renderUsage(clients) {
    if (!clients.available) return fill("usage", "The key store could not be read just now.");
    var note = clients.items.length + " client" + (clients.items.length === 1 ? "" : "s") + " with API keys; today and this month (UTC).";
    if (clients.capped) note += " Capped: at most " + clients.cap + " clients from the first " + clients.keys_read + " key records are shown.";
    fill("usage", note, clients.items.length > 0 && table(["Client", "Tenant", "Plan", "Keys (active)", "Tokens today", "Tokens left today", "Tokens this month", "Tokens left this month", "Spend today (USD)", "Spend left this month (USD)", "Streams"], clients.items.map(usageCells)), "No API keys found.");
  }

  function renderTopRules(audit) {
    if (!audit.available) return fill("top-rules", AUDIT_UNREADABLE);
    var most = audit.top_rules.length > 0 ? audit.top_rules[0].count : 0;
    fill("top-rules", "In the last " + audit.records_read + " audit records (at most " + audit.window + ").", audit.top_rules.length > 0 && table(["Rule", "Count", ""], audit.top_rules.map(function (r) {
      var bar = el("progress");
      bar.max = most;
      bar.value = r.count;
      return [r.rule, String(r.count), bar];
    })), "No rule has fired in these records.");
  }

  function renderRules(rules, generatedAt) {
    var dl = el("dl");
    [["Version", rules.version], ["Hash", rules.hash], ["Source", rules.source]].forEach(function (pair) {
      dl.appendChild(el("dt", pair[0]));
      dl.appendChild(el("dd", pair[1]));
    });
    fill("rules", "As loaded by this gateway at " + time(generatedAt) + ".", dl);
  }

  async function load() {
    var status = $("status");
    var res;
    try {
      res = await fetch("/admin/api/overview", { credentials: "same-origin" });
    } catch (e) {
      status.textContent = "Could not reach the gateway.";
      return;
    }
    if (res.status === 401) {
      location.assign("/admin");
      return;
    }
    if (!res.ok) {
      status.textContent = "Could not load the overview: " + (await errorMessage(res));
      return;
    }
    var data = await res.json();
    renderEvents(data.audit);
    renderUsage(data.clients);
    renderTopRules(data.audit);
    renderRules(data.rules, data.generated_at);
    status.textContent = "Updated " + time(data.generated_at) + ". Session ends " + time(data.session.expires_at) + ".";
  }

  async function signOut() {
    var token = document.querySelector("meta[name=aigis-csrf-token]").getAttribute("content");
    var res = await fetch("/admin/logout", { method: "POST", headers: { "x-csrf-token": token }, credentials: "same-origin" });
    if (res.ok) {
      location.assign("/admin");
      return;
    }
    $("status").textContent = "Sign-out failed: " + (await errorMessage(res));
  }

  if ($("sign-in")) setUpSignIn($("sign-in"));
  if ($("events")) {
    $("refresh").addEventListener("click", load);
    $("sign-out").addEventListener("click", signOut);
    load();
  }
})();
`;

export const APP_CSS = `:root { --header: #14365d; --ink: #1b2430; --muted: #5b6675; --line: #d8dee6; --bg: #f4f6f9; --card: #ffffff; --bad: #a4161a; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header.top { display: flex; align-items: center; gap: 16px; min-height: 56px; padding: 0 24px; background: var(--header); color: #fff; }
header.top h1 { margin: 0; font-size: 20px; letter-spacing: 0.5px; }
header.top .sub { color: #b8c7da; }
header.top .who { margin-left: auto; }
header.top button { background: transparent; color: #fff; border: 1px solid #8ea6c4; }
main { padding: 16px 24px 32px; }
main.narrow { max-width: 440px; margin: 40px auto; }
section, form#sign-in { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 0 0 16px; }
h2 { margin: 0 0 4px; font-size: 16px; }
.note { margin: 0 0 8px; color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
.error { color: var(--bad); }
.body { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; white-space: nowrap; }
td:last-child { white-space: normal; word-break: break-word; }
th { color: var(--muted); font-weight: 600; white-space: normal; }
progress { width: 160px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; }
label { display: block; margin: 12px 0 4px; font-weight: 600; }
input { width: 100%; padding: 8px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
button { margin-top: 0; padding: 6px 12px; border-radius: 4px; border: 1px solid var(--header); background: var(--header); color: #fff; font: inherit; cursor: pointer; }
form#sign-in button { margin-top: 12px; }
`;
