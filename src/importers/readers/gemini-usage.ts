/**
 * Gemini / Vertex AI `usageMetadata` (docs/import-formats.md#gemini).
 *
 * `promptTokenCount` already includes the cached content (`cachedContentTokenCount` is a
 * subset); `toolUsePromptTokenCount` (tool results fed back as input, billed as input) is
 * separate and added. Unlike OpenAI, `candidatesTokenCount` does NOT include the thoughts:
 * output = candidates + `thoughtsTokenCount` (Google bills thoughts as output). Zero fields
 * are omitted in proto3 JSON, so an absent candidatesTokenCount is 0 when the candidate
 * finished, and unknown otherwise. A usageMetadata holding only `trafficType` states nothing.
 *
 * `totalTokenCount` is "the sum of prompt_token_count, candidates_token_count,
 * tool_use_prompt_token_count, and thoughts_token_count" (Google Gen AI SDK reference,
 * GenerateContentResponseUsageMetadata): where both counts are known it checks the sum, and a
 * total that disagrees is kept (`statedTotal`) for the summary to report — never silently.
 */
import { count, optionalObject, type Usage } from './source-fields.js';

export interface GeminiUsage extends Usage {
  /** The response's totalTokenCount, when it is not input + output as read. */
  statedTotal?: number;
}

export function readGeminiUsage(u: unknown, at: string, finished: boolean): GeminiUsage | undefined {
  const usage = optionalObject(u, at);
  if (!usage) return undefined;
  const prompt = count(usage.promptTokenCount, `${at}.promptTokenCount`);
  const toolUse = count(usage.toolUsePromptTokenCount, `${at}.toolUsePromptTokenCount`);
  const candidates = count(usage.candidatesTokenCount, `${at}.candidatesTokenCount`);
  const thoughts = count(usage.thoughtsTokenCount, `${at}.thoughtsTokenCount`);
  const cached = count(usage.cachedContentTokenCount, `${at}.cachedContentTokenCount`);
  if (prompt === undefined && candidates === undefined && thoughts === undefined) return undefined;
  const shown = candidates ?? (finished ? 0 : undefined);
  const inputTokens = prompt === undefined ? undefined : prompt + (toolUse ?? 0);
  const outputTokens = shown === undefined ? undefined : shown + (thoughts ?? 0);
  const total = count(usage.totalTokenCount, `${at}.totalTokenCount`);
  const disagrees = total !== undefined && inputTokens !== undefined && outputTokens !== undefined && total !== inputTokens + outputTokens;
  return { inputTokens, outputTokens, cachedInputTokens: cached, reasoningTokens: thoughts, statedTotal: disagrees ? total : undefined };
}
