/**
 * The Anthropic Messages `usage` object (docs/import-formats.md, `anthropic-batch`), shared by the
 * anthropic-batch, anthropic-log and claude-code adapters, and the provider a message id names.
 *
 * Unlike OpenAI, `input_tokens` counts only the uncached input: cache reads
 * (`cache_read_input_tokens`) and cache writes (`cache_creation_input_tokens`, or the TTL
 * split `cache_creation.ephemeral_5m/1h_input_tokens`, preferred when present) are separate
 * and additive, so inputTokens = input + cache writes + cache reads. An absent or null cache
 * field means no caching: the API sends null when caching is not used (the SDKs type the
 * fields `number | null`), so the row is complete and the breakdown is not reported.
 * Anthropic states no total; the pipeline computes it.
 */
import { count, optionalObject, type Usage } from './source-fields.js';

/** Undefined when the object is absent or null. */
export function readAnthropicUsage(u: unknown, at: string): Usage | undefined {
  const usage = optionalObject(u, at);
  if (!usage) return undefined;
  const uncached = count(usage.input_tokens, `${at}.input_tokens`);
  const outputTokens = count(usage.output_tokens, `${at}.output_tokens`);
  const read = count(usage.cache_read_input_tokens, `${at}.cache_read_input_tokens`);
  let write = count(usage.cache_creation_input_tokens, `${at}.cache_creation_input_tokens`);
  const ttl = optionalObject(usage.cache_creation, `${at}.cache_creation`);
  if (ttl) {
    const m5 = count(ttl.ephemeral_5m_input_tokens, `${at}.cache_creation.ephemeral_5m_input_tokens`);
    const h1 = count(ttl.ephemeral_1h_input_tokens, `${at}.cache_creation.ephemeral_1h_input_tokens`);
    if (m5 !== undefined || h1 !== undefined) write = (m5 ?? 0) + (h1 ?? 0);
  }
  const details = optionalObject(usage.output_tokens_details, `${at}.output_tokens_details`);
  const inputTokens = uncached !== undefined ? uncached + (read ?? 0) + (write ?? 0) : undefined;
  return {
    inputTokens,
    outputTokens,
    cachedInputTokens: read,
    cacheWriteTokens: write,
    reasoningTokens: count(details?.thinking_tokens, `${at}.output_tokens_details.thinking_tokens`),
  };
}

/** Everything the usage object says was processed (ccusage's "largest copy" measure). */
export function usageSize(u: Usage): number {
  return (u.inputTokens ?? (u.cachedInputTokens ?? 0) + (u.cacheWriteTokens ?? 0)) + (u.outputTokens ?? 0);
}

/**
 * The provider a Messages API message id names: Anthropic's models on Bedrock answer
 * `msg_bdrk_…`, on Vertex AI `msg_vrtx_…` (docs/import-formats.md `anthropic-log`).
 */
export function anthropicProvider(messageId: string | undefined): 'aws-bedrock' | 'google' | 'anthropic' {
  if (messageId?.startsWith('msg_bdrk_')) return 'aws-bedrock';
  if (messageId?.startsWith('msg_vrtx_')) return 'google';
  return 'anthropic';
}
