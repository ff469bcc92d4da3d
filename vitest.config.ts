/**
 * Tests run inside workerd through @cloudflare/vitest-pool-workers, against the Worker as
 * wrangler.toml describes it, with the configuration below swapped in. Outbound fetches
 * from the Worker land in `outbound` (in Node): the project's mock LLM plays every provider.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { createMockLlm } from "./mock/llm.mjs";
import { createFakeClassifier } from "./mock/tier2.mjs";
import { TEST_CONFIG, TEST_SECRETS } from "./test/config";

const mock = createMockLlm({ expectedKey: TEST_SECRETS.MOCK_API_KEY });
const azure = createMockLlm({ expectedKey: TEST_SECRETS.AZURE_API_KEY });
const tier2 = createFakeClassifier({ token: TEST_SECRETS.TIER2_TOKEN });

async function outbound(request: Request): Promise<Response> {
  const host = new URL(request.url).host;
  switch (host) {
    case "mock.test":
      return mock(request);
    case "azure.test":
      return azure(request);
    case "tier2.test":
      return tier2(request);
    case "flaky.test":
      await request.arrayBuffer();
      return Response.json({ error: { message: "overloaded", type: "server_error", code: null, param: null } }, { status: 503 });
    default:
      // Anything else is unreachable, as on a network where the host does not exist.
      throw new TypeError(`connection refused: ${host}`);
  }
}

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: { AIGIS_CONFIG: TEST_CONFIG, ...TEST_SECRETS },
        outboundService: outbound,
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
