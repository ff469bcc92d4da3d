/** Token usage as reported by a provider, normalised across the endpoints. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** Reads `usage` from a response body (chat, completions, embeddings: prompt/completion; responses: input/output). */
export function usageFromBody(body: unknown): Usage | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const u = (body as { usage?: unknown }).usage;
  if (typeof u !== "object" || u === null) return undefined;
  const r = u as Record<string, unknown>;
  const promptTokens = num(r.prompt_tokens ?? r.input_tokens);
  const completionTokens = num(r.completion_tokens ?? r.output_tokens);
  const totalTokens = num(r.total_tokens) || promptTokens + completionTokens;
  return { promptTokens, completionTokens, totalTokens };
}
