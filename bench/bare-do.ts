/**
 * Benchmark baseline: bench/bare.ts plus exactly one RPC round trip to an empty SQLite-backed
 * Durable Object per request, the floor for any gateway stage that consults an object
 * (quota, admission) before forwarding (docs/benchmarks.md).
 */
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";

interface BareDoEnv {
  /** Base URL of the OpenAI API to forward to, e.g. http://127.0.0.1:8788/v1 */
  UPSTREAM_URL: string;
  NOOP: DurableObjectNamespace<Noop>;
}

/** Does nothing: the round trip itself is what is measured. */
export class Noop extends DurableObject<BareDoEnv> {
  async ping(): Promise<number> {
    return 1;
  }
}

const app = new Hono<{ Bindings: BareDoEnv }>();

app.post("/v1/chat/completions", async (c) => {
  // One object per client key in the gateway; the benchmark has a single client.
  await c.env.NOOP.get(c.env.NOOP.idFromName("client")).ping();
  return fetch(`${c.env.UPSTREAM_URL}/chat/completions`, {
    method: "POST",
    headers: c.req.raw.headers,
    body: c.req.raw.body,
  });
});

export default app satisfies ExportedHandler<BareDoEnv>;
