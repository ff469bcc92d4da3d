// @ts-check
/**
 * Serves the mock LLM (mock/llm.mjs) over real HTTP with node:http, for `npm start`,
 * benchmarks and black-box tests.
 *
 *   node mock/server.mjs [--port 8788] [--host 127.0.0.1] [--key sk-...] [--delay 0]
 *
 * Each Node request becomes a web `Request` whose signal aborts when the client goes away, so
 * hanging and stalling faults end with their caller. Response bodies are written piece by piece,
 * waiting for `drain` (backpressure); a body that errors destroys the socket, which is how a
 * real upstream failing mid-body looks to its client.
 */
import http from "node:http";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { createMockLlm } from "./llm.mjs";

/**
 * @typedef {object} MockServer
 * @property {string} url base URL of the OpenAI API, e.g. http://127.0.0.1:8788/v1
 * @property {number} port
 * @property {() => Promise<void>} close ends open requests (aborting their signals) and stops listening
 */

/**
 * Starts the mock LLM on `host:port` (port 0 picks a free one).
 * @param {{ port?: number, host?: string, expectedKey?: string, chunkDelayMs?: number }} [options]
 * @returns {Promise<MockServer>}
 * @example
 * const mock = await startMockServer({ expectedKey: "sk-mock" });
 * const openai = new OpenAI({ baseURL: mock.url, apiKey: "sk-mock" });
 * await mock.close();
 */
export async function startMockServer({ port = 0, host = "127.0.0.1", expectedKey, chunkDelayMs } = {}) {
  const handler = createMockLlm({ expectedKey, chunkDelayMs });
  /** @type {Set<AbortController>} lets `close()` end running requests instead of waiting for a hang. */
  const inFlight = new Set();

  const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    const aborter = new AbortController();
    inFlight.add(aborter);
    res.on("close", () => {
      inFlight.delete(aborter);
      if (!res.writableFinished) aborter.abort();
    });
    serve(handler, req, res, aborter.signal).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `mock server: ${String(err)}`, type: "server_error", code: null, param: null } }));
      } else {
        res.destroy();
      }
    });
  });
  // Keep idle connections open longer than a client's pool usually does (Node's default is 5 s).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  server.listen(port, host);
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("mock server: no TCP address");
  const hostInUrl = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${hostInUrl}:${address.port}/v1`,
    port: address.port,
    close() {
      for (const aborter of inFlight) aborter.abort();
      const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
      server.closeAllConnections();
      return /** @type {Promise<void>} */ (closed);
    },
  };
}

/**
 * Adapts one Node request to the web handler and writes its answer back.
 * @param {(request: Request) => Promise<Response>} handler
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 * @param {AbortSignal} signal
 */
async function serve(handler, req, res, signal) {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(/** @type {string} */ (req.rawHeaders[i]), /** @type {string} */ (req.rawHeaders[i + 1]));
  const method = req.method ?? "GET";
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : Buffer.concat(chunks),
    signal,
  });

  const response = await handler(request);
  /** @type {Record<string, string | string[]>} */
  const out = {};
  for (const [name, value] of response.headers) if (name !== "set-cookie") out[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  res.writeHead(response.status, out);
  if (response.body === null) return void res.end();
  res.flushHeaders();

  const reader = response.body.getReader();
  const gone = once(res, "close").then(
    () => "gone",
    () => "gone",
  );
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return void res.end();
      if (res.destroyed) return;
      // Wait for the socket to drain before reading on; a vanished client ends the wait too.
      if (!res.write(value) && (await Promise.race([once(res, "drain"), gone])) === "gone") return;
    }
  } catch {
    // The body errored on purpose (mock-error-stream): drop the connection, no terminating chunk.
    res.destroy();
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** `node mock/server.mjs --port 8788`: serve until Ctrl-C. */
async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8788" },
      host: { type: "string", default: "127.0.0.1" },
      key: { type: "string" },
      delay: { type: "string", default: "0" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${values.port}`);
  const mock = await startMockServer({ port, host: values.host, expectedKey: values.key, chunkDelayMs: Number(values.delay) });
  console.log(`Mock LLM: ${mock.url}`);
  const stop = () => void mock.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
