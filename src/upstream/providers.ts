/**
 * Choosing a provider for a model: pure functions over the validated configuration.
 */
import type { Config, Provider } from "../env";

function matches(pattern: string, model: string): boolean {
  return pattern.endsWith("*") ? model.startsWith(pattern.slice(0, -1)) : pattern === model;
}

/** The first provider (in configuration order) that serves `model`, or undefined. */
export function providerFor(config: Config, model: string): Provider | undefined {
  return config.providers.find((p) => p.models.some((m) => matches(m, model)));
}

/**
 * The provider and its fallbacks, in the order to try them. Fallback chains are followed
 * but never revisit a provider, so a cycle in the configuration cannot loop.
 */
export function providerChain(config: Config, model: string): Provider[] {
  const chain: Provider[] = [];
  let next = providerFor(config, model);
  while (next !== undefined && !chain.includes(next)) {
    chain.push(next);
    const fb = next.fallback;
    next = fb === undefined ? undefined : config.providers.find((p) => p.id === fb);
  }
  return chain;
}

/** The name the provider knows the model by. */
export function upstreamModel(provider: Provider, model: string): string {
  return Object.hasOwn(provider.model_map, model) ? (provider.model_map[model] as string) : model;
}

/** Models a client may see listed: exact names only (prefix patterns route but are not listed). */
export function listedModels(config: Config): string[] {
  const names = new Set<string>();
  for (const p of config.providers) for (const m of p.models) if (!m.endsWith("*")) names.add(m);
  return [...names].sort();
}
