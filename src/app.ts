/**
 * The whole request pipeline, in order. Each stage is one file in src/middleware/ and may
 * only read what earlier stages set on the context (`AppEnv.Variables`); docs/pipeline.md
 * explains why each stage sits where it does.
 *
 *   request id -> analytics -> (CORS) -> route -> audit trail (records security decisions
 *   when the request is complete: src/audit) -> body size limit -> authenticate ->
 *   parse and validate -> authorise -> body object ids (files, responses and items a chat
 *   or Responses body names must be the caller's: src/policy/objects.ts) -> admission
 *   (limits, and the extraction defence's probing score: src/extraction) -> input firewall ->
 *   output protection (set up) -> forward (output checks applied to the body or to each
 *   stream event) -> settle usage
 *
 * Files and fine-tuning run the same stages (their body limit is `max_upload_bytes`, their
 * parse stage reads multipart, authorise checks the `files` / `fine_tune` scopes; the
 * firewall and output protection pass them by) and end in src/files, which checks ownership.
 */
import { Hono } from "hono";
import { auditReport, postAuditEvents } from "./admin/audit";
import { revokeKey } from "./admin/keys";
import { intakeReports } from "./admin/intake-reports";
import { probingReport } from "./admin/probing";
import { discardQuarantined, listQuarantine, quarantinedContent, releaseQuarantined, retrieveQuarantined } from "./admin/quarantine";
import { signalRules } from "./admin/rules-signal";
import { usage } from "./admission/usage";
import { dashboardHeaders, requireCsrf, requireSession, sameOrigin, signIn, signOut } from "./dashboard/access";
import { overview } from "./dashboard/overview";
import { page, script, styles } from "./dashboard/page";
import { errorResponse, toGatewayError } from "./errors";
import type { AppEnv } from "./env";
import { deleteFile, fileContent, listFiles, retrieveFile, uploadFile } from "./files/files";
import { retrieveIntakeReport } from "./files/intake-reports";
import { cancelJob, createJob, listJobs, retrieveJob } from "./files/jobs";
import { admission } from "./middleware/admission";
import { analytics } from "./middleware/analytics";
import { auditTrail } from "./middleware/audit";
import { authenticate } from "./middleware/authenticate";
import { authorise, requireScope } from "./middleware/authorise";
import { bodyLimit } from "./middleware/body-limit";
import { bodyObjects } from "./middleware/objects";
import { corsStage } from "./middleware/cors";
import { firewall } from "./middleware/firewall";
import { newRequestId, requestId } from "./middleware/request-id";
import { resolveRoute } from "./middleware/route";
import { settleUsage } from "./middleware/settle";
import { parseAndValidate } from "./middleware/validate";
import { outputProtection } from "./middleware/protect";
import { forwardRequest } from "./upstream/forward";
import { listModels } from "./upstream/models";

export const app = new Hono<AppEnv>();

app.use(requestId());
app.use(analytics());
app.use(corsStage());
app.use(resolveRoute());

// Liveness only: no credentials, no upstream call, nothing about the configuration.
app.get("/healthz", (c) => c.json({ status: "ok" }));

// Outside everything that can refuse a request, so refusals are recorded too.
app.use("/v1/*", auditTrail());
app.use("/admin/*", auditTrail());

app.use("/v1/*", bodyLimit());
app.use("/v1/*", authenticate());
app.use("/v1/*", parseAndValidate());
app.use("/v1/*", authorise());
// Before anything charges or forwards: a foreign id is refused like a missing one. After the
// response it records a stored Responses answer as the caller's (waitUntil).
app.use("/v1/*", bodyObjects());
// settle wraps everything after it; its work runs once the response (or stream) has ended.
app.use("/v1/*", settleUsage());
app.use("/v1/*", admission());
app.use("/v1/*", firewall());
// Decides the response's checks and plants the canary; forward applies them (src/protect/).
app.use("/v1/*", outputProtection());

app.get("/v1/models", listModels);
app.get("/v1/usage", usage);
app.post("/v1/chat/completions", forwardRequest);
app.post("/v1/responses", forwardRequest);
app.post("/v1/embeddings", forwardRequest);
app.post("/v1/completions", forwardRequest);
// usage settles after the response (or stream) has ended (waitUntil).

// Files and fine-tuning (src/files, docs/training-data.md): the same stages, then the
// handler checks that the object is the caller's; training files pass the intake hook.
app.post("/v1/files", uploadFile);
app.get("/v1/files", listFiles);
// Before the :id routes, as in src/routes.ts: `intake_reports` is not a file id.
app.get("/v1/files/intake_reports/:id", retrieveIntakeReport);
app.get("/v1/files/:id", retrieveFile);
app.delete("/v1/files/:id", deleteFile);
app.get("/v1/files/:id/content", fileContent);
app.post("/v1/fine_tuning/jobs", createJob);
app.get("/v1/fine_tuning/jobs", listJobs);
app.get("/v1/fine_tuning/jobs/:id", retrieveJob);
app.post("/v1/fine_tuning/jobs/:id/cancel", cancelJob);

// Operator endpoints: the same credentials, plus the admin scope.
app.use("/admin/v1/*", bodyLimit());
app.use("/admin/v1/*", authenticate());
app.use("/admin/v1/*", requireScope("admin"));
app.get("/admin/v1/rules", (c) => c.json({ version: c.get("rules").version, hash: c.get("rules").hash, source: c.get("rules").source }));
app.post("/admin/v1/keys/revoke", revokeKey);
app.post("/admin/v1/rules/signal", signalRules);
app.get("/admin/v1/probing", probingReport);
app.get("/admin/v1/intake_reports", intakeReports);
// Quarantined training files held for review (src/admin/quarantine.ts).
app.get("/admin/v1/quarantine", listQuarantine);
app.get("/admin/v1/quarantine/:id", retrieveQuarantined);
app.get("/admin/v1/quarantine/:id/content", quarantinedContent);
app.post("/admin/v1/quarantine/:id/release", releaseQuarantined);
app.post("/admin/v1/quarantine/:id/discard", discardQuarantined);
app.get("/admin/v1/audit", auditReport);
app.post("/admin/v1/audit/events", postAuditEvents);

// The operator dashboard (src/dashboard/, docs/dashboard.md). A browser signs in once with the
// admin key and then holds a 15-minute HttpOnly session cookie; each request re-checks the key
// behind the session. POSTs must come from this origin, sign-out also needs the CSRF token,
// and every answer carries a strict CSP (dashboardHeaders acts on dashboard routes only).
app.use("/admin/*", dashboardHeaders());
app.get("/admin", page);
app.get("/admin/app.js", script);
app.get("/admin/app.css", styles);
app.post("/admin/session", bodyLimit(), sameOrigin(), signIn);
app.get("/admin/api/overview", requireSession(), overview);
app.post("/admin/logout", bodyLimit(), sameOrigin(), requireSession(), requireCsrf(), signOut);

app.onError((err, c) => {
  const error = toGatewayError(err);
  const log = c.get("log");
  if (log !== undefined) {
    log.errorCode = error.code;
    log.errorDetail = error.detail ?? "";
  }
  if (error.code === "internal_error") console.error(`aigis: ${error.detail ?? "internal error"} (request ${c.get("requestId") ?? "-"})`);
  return errorResponse(error, c.get("requestId") ?? newRequestId());
});

// Reached only for paths the route stage knows but no handler serves; kept so that even a
// wiring mistake answers in the error shape.
app.notFound((c) => errorResponse(toGatewayError(new Error("unrouted")), c.get("requestId") ?? newRequestId()));
