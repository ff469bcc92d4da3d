/** The gateway configuration every test runs with (see vitest.config.ts). */
export const TEST_SECRETS = {
  MOCK_API_KEY: "sk-mock-provider-key-0123456789",
  AZURE_API_KEY: "azure-provider-key-0123456789",
  FLAKY_API_KEY: "sk-flaky-provider-key-0123456789",
  TIER2_TOKEN: "tier2-test-token-0123456789",
  AIGIS_CANARY_SECRET: "canary-test-secret-0123456789",
  AIGIS_PROBE_KEY: "probe-test-key-0123456789",
  AIGIS_AUDIT_KEY: "audit-test-key-0123456789abcdef",
  AIGIS_SESSION_KEY: "session-test-key-0123456789abcdef",
} as const;

export const TEST_CONFIG = {
  providers: [
    { id: "mock", base_url: "http://mock.test/v1", key_secret: "MOCK_API_KEY", models: ["mock-gpt", "mock-gpt-mini", "mock-embed", "mock-instruct", "mock-*"], timeout_ms: 1500, idle_timeout_ms: 600 },
    { id: "flaky", base_url: "http://flaky.test/v1", key_secret: "FLAKY_API_KEY", models: ["flaky-gpt"], fallback: "mock", model_map: { "flaky-gpt": "mock-gpt" } },
    { id: "down", base_url: "http://down.test/v1", models: ["down-gpt", "down-only"], fallback: "mock" },
    { id: "lonely", base_url: "http://lonely.test/v1", models: ["lonely-gpt"] },
    { id: "azure", base_url: "http://azure.test/openai/v1", key_secret: "AZURE_API_KEY", auth: "api-key", api_version: "2024-10-21", models: ["azure-gpt"] },
  ],
  max_body_bytes: 256 * 1024,
  max_json_depth: 64,
  max_response_bytes: 1024 * 1024,
  // Larger than max_body_bytes, as uploads are in a deployment, and small enough to test cheaply.
  max_upload_bytes: 512 * 1024,
  // The fake second-stage classifier (mock/tier2.mjs) answers for the uncertain band.
  firewall: { tier2: { kind: "http", url: "http://tier2.test/classify", auth_secret: "TIER2_TOKEN", timeout_ms: 300 } },
};
