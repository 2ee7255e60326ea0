/**
 * OpenRouter activity "generations" CSV export (docs/import.md `openrouter`): one row per
 * generation_id with the fixed 24-column header. Reasoning tokens are already inside
 * tokens_completion (OpenRouter bills them there), and tokens_cached is a subset of
 * tokens_prompt, so neither is added again. Empty token cells → partial, never 0.
 */
import { bool, count, guarded, missingColumns, num, obj, str } from '../readers/cells.js';
import { stateless, type Adapter, type Draft } from '../types.js';

const REQUIRED_COLUMNS = ['generation_id', 'created_at', 'model_permaslug', 'tokens_prompt', 'tokens_completion'];

const convert = guarded((v) => {
  const id = str(v.generation_id);
  if (!id) return { kind: 'reject', reason: 'row has no generation_id' };
  const model = str(v.model_permaslug);
  if (!model) return { kind: 'reject', reason: 'row has no model_permaslug' };
  const prompt = count(v.tokens_prompt, 'tokens_prompt');
  const completion = count(v.tokens_completion, 'tokens_completion');
  const cancelled = bool(v.cancelled) === true;
  const finish = str(v.finish_reason_normalized);
  const failed = cancelled || finish === 'error';

  const draft: Draft = { sourceId: id, provider: 'openrouter', model, status: failed ? 'error' : 'success' };
  if (failed) draft.errorCode = cancelled ? 'cancelled' : (str(v.finish_reason_raw) ?? 'error');
  if (prompt !== undefined) draft.inputTokens = prompt;
  if (completion !== undefined) draft.outputTokens = completion;
  if (prompt === undefined || completion === undefined) draft.partialReason = failed ? 'request_failed' : 'usage_missing';
  const cached = count(v.tokens_cached, 'tokens_cached');
  const reasoning = count(v.tokens_reasoning, 'tokens_reasoning');
  if (cached !== undefined && prompt !== undefined) draft.cachedInputTokens = cached;
  if (reasoning !== undefined && completion !== undefined) draft.reasoningTokens = reasoning;
  const latency = count(v.generation_time_ms, 'generation_time_ms');
  if (latency !== undefined) draft.latencyMs = latency;
  const created = str(v.created_at);
  if (created) draft.createdAt = created;
  const user = str(v.user);
  if (user) draft.userId = user;

  const m: NonNullable<Draft['metadata']> = {};
  const upstream = str(v.provider_name);
  if (upstream) m.upstreamProvider = upstream;
  const variant = str(v.variant);
  if (variant) m.variant = variant;
  const streamed = bool(v.streamed);
  if (streamed !== undefined) m.streamed = streamed;
  if (finish) m.finishReason = finish;
  const ttft = count(v.time_to_first_token_ms, 'time_to_first_token_ms');
  if (ttft !== undefined) m.timeToFirstTokenMs = ttft;
  const cost = num(v.cost_total);
  if (cost !== undefined) m.openrouterCostUsd = cost;
  const byok = num(v.byok_usage_inference);
  if (byok !== undefined && byok > 0) m.openrouterByokUsd = byok;
  draft.metadata = m;
  return { kind: 'payload', draft };
});

export const adapter: Adapter = {
  id: 'openrouter',
  description: 'OpenRouter activity export: the per-generation CSV (one row per generation_id)',
  input: 'csv',
  independent: true,
  fileFilter: /\.csv(\.gz)?$/i,
  create: stateless(convert),
  sniff(first) {
    const v = obj(first.value);
    return !!v && 'generation_id' in v && 'model_permaslug' in v && 'tokens_prompt' in v;
  },
  checkHeader: (columns) => missingColumns(columns, REQUIRED_COLUMNS, 'an OpenRouter generations export'),
};
