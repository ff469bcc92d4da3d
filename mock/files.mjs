// @ts-check
/**
 * Files and fine-tuning for the mock LLM (mock/llm.mjs), kept in memory per mock instance, in
 * the shapes of the OpenAI API reference ("The file object", "The fine-tuning job object"):
 *
 *   POST   …/v1/files                        multipart: exactly `file` and `purpose` (another part is a 400)
 *   GET    …/v1/files                        newest first; `purpose`, `limit`, `after`, `order`
 *   GET    …/v1/files/{id}, …/{id}/content, DELETE …/v1/files/{id}
 *   POST   …/v1/fine_tuning/jobs             JSON; `training_file` (and `validation_file`) must be
 *                                            stored files with purpose `fine-tune`; the job starts `queued`
 *   GET    …/v1/fine_tuning/jobs[/{id}]      a queued job has `succeeded` by the next GET: a
 *                                            `fine_tuned_model`, `trained_tokens` and a result file
 *   POST   …/v1/fine_tuning/jobs/{id}/cancel a job that has not finished becomes `cancelled`
 *
 * Everything is forgotten when the mock stops. A provider stores files for one account: this
 * mock, like OpenAI, shows every file to every caller that has the key.
 */
import { ApiError, countTokens, json, newId } from "./wire.mjs";

const PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];
const PATH = /\/v1\/(files|fine_tuning\/jobs)(?:\/([^/]+))?(?:\/(content|cancel))?$/;
const decoder = new TextDecoder();

/** @typedef {{ id: string, object: "file", bytes: number, created_at: number, filename: string, purpose: string, status: "processed", expires_at?: number }} FileObject */
/** @typedef {Record<string, unknown> & { id: string, status: string, model: string, training_file: string, user_provided_suffix: string | null }} Job */

const now = () => Math.floor(Date.now() / 1000);

/**
 * A newest-first (or oldest-first) page of `items` after the one with id `after`.
 * @template {{ id: string }} T
 * @param {T[]} items in creation order
 * @param {URLSearchParams} query
 * @param {number} defaultLimit
 */
function page(items, query, defaultLimit) {
  const ordered = query.get("order") === "asc" ? items : [...items].reverse();
  const limit = Number(query.get("limit") ?? defaultLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new ApiError(400, "Invalid 'limit'.", { param: "limit" });
  const after = query.get("after");
  const start = after === null ? 0 : ordered.findIndex((i) => i.id === after) + 1;
  // An unknown cursor gives an empty page.
  const data = after !== null && start === 0 ? [] : ordered.slice(start, start + limit);
  const more = data.length > 0 && start + limit < ordered.length;
  return { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: more };
}

/** The mock's files and jobs. @returns {(request: Request, path: string, raw: Uint8Array<ArrayBuffer>) => Promise<Response | undefined>} */
export function createFileStore() {
  /** @type {Map<string, { object: FileObject, content: Uint8Array<ArrayBuffer> }>} */
  const files = new Map();
  /** @type {Map<string, Job>} */
  const jobs = new Map();

  /** @param {string} id */
  function fileOf(id) {
    const f = files.get(id);
    if (f === undefined) throw new ApiError(404, `No such File object: ${id}`, { param: "id" });
    return f;
  }

  /** @param {string} id */
  function jobOf(id) {
    const j = jobs.get(id);
    if (j === undefined) throw new ApiError(404, `Could not find fine-tune: ${id}`, { code: "fine_tune_not_found", param: "fine_tune_id" });
    return j;
  }

  /**
   * @param {string} filename @param {string} purpose @param {Uint8Array<ArrayBuffer>} content
   * @returns {FileObject}
   */
  function store(filename, purpose, content) {
    const object = /** @type {FileObject} */ ({ id: newId("file-"), object: "file", bytes: content.byteLength, created_at: now(), filename, purpose, status: "processed" });
    // "Files with purpose=batch expire after 30 days."
    if (purpose === "batch") object.expires_at = object.created_at + 30 * 86_400;
    files.set(object.id, { object, content });
    return object;
  }

  /** @param {string | null} ct @param {Uint8Array<ArrayBuffer>} raw */
  async function upload(ct, raw) {
    let form;
    try {
      form = await new Response(raw, { headers: { "content-type": ct ?? "" } }).formData();
    } catch {
      throw new ApiError(400, "The request body must be multipart/form-data.");
    }
    for (const name of form.keys()) if (name !== "file" && name !== "purpose") throw new ApiError(400, `Unrecognized multipart part: ${name}`, { param: name });
    const purpose = form.get("purpose");
    const file = form.get("file");
    if (typeof purpose !== "string" || !PURPOSES.includes(purpose)) throw new ApiError(400, "'purpose' must be one of " + PURPOSES.join(", "), { param: "purpose" });
    if (file === null || typeof file === "string") throw new ApiError(400, "'file' must be a file.", { param: "file" });
    return json(store(file.name, purpose, new Uint8Array(await file.arrayBuffer())));
  }

  /** @param {unknown} id @param {string} param */
  function trainingFile(id, param) {
    const f = typeof id === "string" ? files.get(id) : undefined;
    if (f === undefined || f.object.purpose !== "fine-tune") throw new ApiError(400, `invalid ${param}: ${String(id)}`, { code: "invalid_request_error", param });
    return f;
  }

  /** @param {Uint8Array<ArrayBuffer>} raw */
  function createJob(raw) {
    /** @type {Record<string, any>} */
    let body;
    try {
      body = JSON.parse(decoder.decode(raw));
    } catch {
      throw new ApiError(400, "We could not parse the JSON body of your request.");
    }
    if (typeof body?.model !== "string" || body.model === "") throw new ApiError(400, "You must provide a model parameter.", { param: "model" });
    trainingFile(body.training_file, "training_file");
    if (body.validation_file != null) trainingFile(body.validation_file, "validation_file");
    const hyperparameters = { batch_size: "auto", learning_rate_multiplier: "auto", n_epochs: "auto", ...(body.hyperparameters ?? body.method?.supervised?.hyperparameters ?? {}) };
    /** @type {Job} */
    const job = {
      object: "fine_tuning.job",
      id: newId("ftjob-"),
      model: body.model,
      created_at: now(),
      finished_at: null,
      fine_tuned_model: null,
      organization_id: "org-aigis-mock",
      result_files: [],
      status: "queued",
      validation_file: body.validation_file ?? null,
      training_file: body.training_file,
      hyperparameters,
      trained_tokens: null,
      error: null,
      seed: body.seed ?? 42,
      estimated_finish: null,
      integrations: null,
      metadata: body.metadata ?? null,
      method: body.method ?? { type: "supervised", supervised: { hyperparameters } },
      user_provided_suffix: body.suffix ?? null,
    };
    jobs.set(job.id, job);
    return json(job);
  }

  /** A queued job is done by the time anyone looks again. @param {Job} job */
  function advance(job) {
    if (job.status !== "queued") return job;
    const training = files.get(job.training_file);
    const n = /** @type {{ n_epochs?: unknown }} */ (job.hyperparameters).n_epochs;
    // "auto" trains for 3 epochs in this mock.
    const epochs = typeof n === "number" ? n : 3;
    const metrics = store("step_metrics.csv", "fine-tune-results", Uint8Array.from(new TextEncoder().encode("step,train_loss\n1,0.9\n2,0.4\n")));
    Object.assign(job, {
      status: "succeeded",
      finished_at: now(),
      fine_tuned_model: `ft:${job.model}:aigis-mock:${job.user_provided_suffix ?? ""}:${job.id.slice(6, 14)}`,
      trained_tokens: epochs * countTokens(training === undefined ? "" : decoder.decode(training.content)),
      result_files: [metrics.id],
    });
    return job;
  }

  return async function filesRoute(request, path, raw) {
    const m = PATH.exec(path);
    if (m === null) return undefined;
    const [, collection, id, action] = m;
    const method = request.method;
    const query = new URL(request.url).searchParams;
    if (collection === "files") {
      if (id === undefined) {
        if (method === "POST") return upload(request.headers.get("content-type"), raw);
        if (method === "GET") {
          const purpose = query.get("purpose");
          return json(page([...files.values()].map((f) => f.object).filter((f) => purpose === null || f.purpose === purpose), query, 10_000));
        }
      } else if (action === "content" && method === "GET") {
        return new Response(fileOf(id).content, { headers: { "content-type": "application/octet-stream" } });
      } else if (action === undefined && method === "GET") {
        return json(fileOf(id).object);
      } else if (action === undefined && method === "DELETE") {
        fileOf(id);
        files.delete(id);
        return json({ id, object: "file", deleted: true });
      }
      return undefined;
    }
    if (id === undefined) {
      if (method === "POST") return createJob(raw);
      if (method === "GET") return json(page([...jobs.values()].map(advance), query, 20));
    } else if (action === undefined && method === "GET") {
      return json(advance(jobOf(id)));
    } else if (action === "cancel" && method === "POST") {
      const job = jobOf(id);
      if (job.status === "succeeded" || job.status === "failed" || job.status === "cancelled") throw new ApiError(400, `Job ${id} has already finished.`, { param: "fine_tune_id" });
      Object.assign(job, { status: "cancelled", finished_at: now() });
      return json(job);
    }
    return undefined;
  };
}
