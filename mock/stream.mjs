// @ts-check
/**
 * Body helpers for the mock LLM: abortable waits, Server-Sent Events that end on purpose
 * (cleanly, with an error, or by going silent) and a large body made on demand.
 * Web-standard APIs only, so the mock runs in Node and in workerd alike.
 */

const encoder = new TextEncoder();

/** The longest a fault waits (`mock-hang`, `mock-stall-stream`) when nobody aborts it. */
export const MAX_WAIT_MS = 120_000;

/** Size of one piece of a large body. */
export const CHUNK_BYTES = 64 * 1024;

/**
 * Resolves after `ms`, or as soon as `signal` aborts (never rejects). Waits of a second or more
 * are unref'd in Node so that a pending fault does not keep a test process alive.
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 * @example await sleep(150, request.signal);
 */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (ms >= 1000 && typeof timer === "object" && timer !== null && "unref" in timer) timer.unref();
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * One SSE event as the OpenAI API frames it: `data: <json>\n\n`, preceded by `event: <name>\n`
 * where the endpoint names its events (the Responses API does, Chat Completions does not).
 * @param {unknown} payload
 * @param {string} [event]
 * @returns {string}
 */
export function sseEvent(payload, event) {
  const data = `data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`;
  return event === undefined ? data : `event: ${event}\n${data}`;
}

/**
 * How a stream ends: `close` (normally, also used to cut a stream short), `error` (the body
 * errors, so a server drops the connection mid-body) or `stall` (no more bytes until aborted).
 * @typedef {"close" | "error" | "stall"} Ending
 */

/**
 * A `text/event-stream` response sending the framed `events` one at a time, on demand
 * (highWaterMark 0, so a slow reader is never run ahead of), `delayMs` apart.
 * @param {Iterable<string>} events framed events, produced lazily if `events` is a generator
 * @param {{ delayMs: number, signal: AbortSignal, ending?: Ending, headers?: Headers }} options
 * @returns {Response}
 */
export function sseResponse(events, { delayMs, signal, ending = "close", headers = new Headers() }) {
  const iterator = events[Symbol.iterator]();
  // Ends waits both when the request is aborted and when the reader cancels the body.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) stop.abort();
  let first = true;

  const body = new ReadableStream(
    {
      async pull(controller) {
        if (!first && delayMs > 0) await sleep(delayMs, stop.signal);
        first = false;
        if (stop.signal.aborted) return finish(controller, "close");
        const next = iterator.next();
        if (!next.done) return controller.enqueue(encoder.encode(next.value));
        if (ending === "stall") await sleep(MAX_WAIT_MS, stop.signal);
        finish(controller, ending);
      },
      cancel() {
        stop.abort();
        iterator.return?.();
        signal.removeEventListener("abort", onAbort);
      },
    },
    { highWaterMark: 0 },
  );

  /** @param {ReadableStreamDefaultController<Uint8Array>} controller @param {Ending} how */
  function finish(controller, how) {
    signal.removeEventListener("abort", onAbort);
    try {
      if (how === "error") controller.error(new Error("mock LLM: stream failed on purpose"));
      else controller.close();
    } catch {
      // Already cancelled by the reader: nothing left to end.
    }
  }

  headers.set("content-type", "text/event-stream; charset=utf-8");
  headers.set("cache-control", "no-cache");
  return new Response(body, { status: 200, headers });
}

/**
 * A body of `prefix`, then `size` bytes of `a`, then `suffix`, produced in 64 KiB pieces as the
 * reader asks for them, so a 40 MB answer never exists as one string.
 * @param {string} prefix
 * @param {number} size
 * @param {string} suffix
 * @returns {ReadableStream<Uint8Array>}
 */
export function fillerBody(prefix, size, suffix) {
  let sent = -1;
  return new ReadableStream(
    {
      pull(controller) {
        if (sent < 0) {
          sent = 0;
          return controller.enqueue(encoder.encode(prefix));
        }
        if (sent < size) {
          const n = Math.min(CHUNK_BYTES, size - sent);
          sent += n;
          return controller.enqueue(new Uint8Array(n).fill(0x61));
        }
        controller.enqueue(encoder.encode(suffix));
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The first `count` items of `items`.
 * @template T
 * @param {Iterable<T>} items
 * @param {number} count
 * @returns {Generator<T>}
 */
export function* take(items, count) {
  if (count <= 0) return;
  let i = 0;
  for (const item of items) {
    yield item;
    if (++i >= count) return;
  }
}
