/**
 * Gemini / Vertex AI `usageMetadata` (docs/import-formats.md#gemini).
 *
 * `promptTokenCount` already includes the cached content (`cachedContentTokenCount` is a
 * subset); `toolUsePromptTokenCount` (tool results fed back as input, billed as input) is
 * separate and added. Unlike OpenAI, `candidatesTokenCount` does NOT include the thoughts:
 * output = candidates + `thoughtsTokenCount` (Google bills thoughts as output). Zero fields
 * are omitted in proto3 JSON, so an absent candidatesTokenCount is 0 when the candidate
 * finished, and unknown otherwise. A usageMetadata holding only `trafficType` states nothing.
 */
import { count, optionalObject, type Usage } from './source-fields.js';

export function readGeminiUsage(u: unknown, at: string, finished: boolean): Usage | undefined {
  const usage = optionalObject(u, at);
  if (!usage) return undefined;
  const prompt = count(usage.promptTokenCount, `${at}.promptTokenCount`);
  const toolUse = count(usage.toolUsePromptTokenCount, `${at}.toolUsePromptTokenCount`);
  const candidates = count(usage.candidatesTokenCount, `${at}.candidatesTokenCount`);
  const thoughts = count(usage.thoughtsTokenCount, `${at}.thoughtsTokenCount`);
  const cached = count(usage.cachedContentTokenCount, `${at}.cachedContentTokenCount`);
  if (prompt === undefined && candidates === undefined && thoughts === undefined) return undefined;
  const shown = candidates ?? (finished ? 0 : undefined);
  return {
    inputTokens: prompt === undefined ? undefined : prompt + (toolUse ?? 0),
    outputTokens: shown === undefined ? undefined : shown + (thoughts ?? 0),
    cachedInputTokens: cached,
    reasoningTokens: thoughts,
  };
}
