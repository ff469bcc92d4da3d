/**
 * Benchmark baseline: the least a Hono Worker can do to proxy chat completions. It forwards
 * method, headers and body to the upstream and streams the answer back untouched. The gap
 * between this and the gateway is what the gateway's pipeline costs (docs/benchmarks.md).
 */
import { Hono } from "hono";

interface BareEnv {
  /** Base URL of the OpenAI API to forward to, e.g. http://127.0.0.1:8788/v1 */
  UPSTREAM_URL: string;
}

const app = new Hono<{ Bindings: BareEnv }>();

app.post("/v1/chat/completions", (c) =>
  // Returning the fetch Response as is streams its body through without buffering.
  fetch(`${c.env.UPSTREAM_URL}/chat/completions`, {
    method: "POST",
    headers: c.req.raw.headers,
    body: c.req.raw.body,
  }),
);

export default app satisfies ExportedHandler<BareEnv>;
