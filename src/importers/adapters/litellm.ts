/**
 * LiteLLM proxy spend logs (docs/import.md `litellm`): the `LiteLLM_SpendLogs` table as CSV
 * from `\copy (SELECT * FROM "LiteLLM_SpendLogs") TO 'spend.csv' csv header` (jsonb columns
 * arrive as JSON in cells), or the JSON array `GET /spend/logs` returns.
 *
 * Failed rows carry 0 tokens (newer LiteLLM: tokenizer estimates) — not measurements, so
 * they become partial: `not_measured` when numbers were logged, `request_failed` when the
 * cells are empty. A success row with 0 input and 0 output is not a measurement either
 * (streamed pass-through rows log 0) → partial `not_measured`.
 */
import { normalizeTimestamp } from '../finish.js';
import { BadValue, bool, count, guarded, jsonCell, missingColumns, num, obj, str } from '../readers/cells.js';
import { stateless, type Adapter, type Draft } from '../types.js';

const REQUIRED_COLUMNS = ['request_id', 'model', 'prompt_tokens', 'completion_tokens', 'startTime'];

function millis(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const iso = normalizeTimestamp(v);
  return iso === undefined ? undefined : Date.parse(iso);
}

/**
 * A StandardLoggingPayload (docs/import-formats.md `litellm`): what LiteLLM's logging
 * callbacks write to S3/GCS (`s3_callback_params`, `gcs_bucket`), one JSON object per file or
 * per line. The same facts as a spend-log row under other names: renamed here so one
 * conversion serves both (id → request_id, response_cost → spend, the response's usage object
 * for the cache and reasoning breakdowns, error_information at the top level).
 */
function isStandardLoggingPayload(v: Record<string, unknown>): boolean {
  return typeof v.id === 'string' && 'response_cost' in v && 'call_type' in v && !('request_id' in v);
}

function fromStandardLoggingPayload(v: Record<string, unknown>): Record<string, unknown> {
  const meta = obj(v.metadata);
  const response = obj(v.response);
  return {
    request_id: v.id,
    call_type: v.call_type,
    spend: v.response_cost,
    prompt_tokens: v.prompt_tokens,
    completion_tokens: v.completion_tokens,
    total_tokens: v.total_tokens,
    startTime: v.startTime,
    endTime: v.endTime,
    model: v.model,
    model_group: v.model_group,
    custom_llm_provider: v.custom_llm_provider,
    status: v.status,
    cache_hit: v.cache_hit,
    end_user: str(v.end_user) ?? meta?.user_api_key_end_user_id,
    metadata: { usage_object: response?.usage, error_information: v.error_information },
  };
}

const convert = guarded((row) => {
  const v = isStandardLoggingPayload(row) ? fromStandardLoggingPayload(row) : row;
  const meta = obj(jsonCell(v.metadata, 'metadata'));
  const model = str(v.model) ?? str(v.model_group);
  if (!model) return { kind: 'reject', reason: 'row has no model (nor model_group)' };
  const slash = model.indexOf('/');
  const provider = str(v.custom_llm_provider) ?? (slash > 0 ? model.slice(0, slash) : undefined);
  if (!provider) return { kind: 'reject', reason: 'row has no custom_llm_provider and the model has no provider prefix' };

  const start = str(v.startTime);
  const end = str(v.endTime);
  let requestId = str(v.request_id);
  let derivedId = false;
  if (!requestId || requestId === 'None') {
    // LiteLLM has logged empty and "None" ids (#6633, #39749): derive one from fields that do not change.
    requestId = ['derived', start, end, model, str(v.api_key), str(v.prompt_tokens), str(v.completion_tokens), str(v.spend)].join('|');
    derivedId = true;
  }

  const status = (str(v.status) ?? str(meta?.status) ?? 'success').toLowerCase();
  if (status !== 'success' && status !== 'failure') throw new BadValue(`status is ${JSON.stringify(status)}, expected success or failure`);
  const failed = status === 'failure';

  const prompt = count(v.prompt_tokens, 'prompt_tokens');
  const completion = count(v.completion_tokens, 'completion_tokens');
  const total = count(v.total_tokens, 'total_tokens');
  const usage = obj(meta?.usage_object);
  const extra = obj(meta?.additional_usage_values);
  const cached =
    count(obj(usage?.prompt_tokens_details)?.cached_tokens, 'metadata.usage_object.prompt_tokens_details.cached_tokens') ??
    count(usage?.cache_read_input_tokens, 'metadata.usage_object.cache_read_input_tokens') ??
    count(extra?.cache_read_input_tokens, 'metadata.additional_usage_values.cache_read_input_tokens');
  const cacheWrite =
    count(usage?.cache_creation_input_tokens, 'metadata.usage_object.cache_creation_input_tokens') ??
    count(extra?.cache_creation_input_tokens, 'metadata.additional_usage_values.cache_creation_input_tokens');
  const reasoning = count(obj(usage?.completion_tokens_details)?.reasoning_tokens, 'metadata.usage_object.completion_tokens_details.reasoning_tokens');

  let latency = count(v.request_duration_ms, 'request_duration_ms');
  if (latency === undefined) {
    const a = millis(start);
    const b = millis(end);
    if (a !== undefined && b !== undefined && b >= a) latency = b - a;
  }

  const draft: Draft = {
    sourceId: requestId,
    provider,
    model,
    status: failed ? 'error' : 'success',
  };
  if (failed) {
    const info = obj(meta?.error_information);
    draft.errorCode = str(info?.error_code) ?? str(info?.error_class) ?? 'failure';
    // Logged numbers on a failed row are zeros or tokenizer estimates, not measurements.
    draft.partialReason = prompt !== undefined || completion !== undefined ? 'not_measured' : 'request_failed';
    if (latency !== undefined && latency > 0) draft.latencyMs = latency;
  } else {
    if (prompt === 0 && completion === 0) {
      draft.partialReason = 'not_measured';
    } else {
      if (prompt !== undefined) draft.inputTokens = prompt;
      if (completion !== undefined) draft.outputTokens = completion;
      if (prompt === undefined || completion === undefined) draft.partialReason = 'usage_missing';
      else if (total !== undefined) draft.totalTokens = total;
      if (cached !== undefined) draft.cachedInputTokens = cached;
      if (cacheWrite !== undefined) draft.cacheWriteTokens = cacheWrite;
      if (reasoning !== undefined) draft.reasoningTokens = reasoning;
    }
    if (latency !== undefined) draft.latencyMs = latency;
  }
  if (start) draft.createdAt = start;
  const user = str(v.end_user) ?? str(v.user);
  if (user && user !== 'None') draft.userId = user;

  const m: NonNullable<Draft['metadata']> = {};
  const callType = str(v.call_type);
  if (callType) m.callType = callType;
  const group = str(v.model_group);
  if (group && group !== model) m.modelGroup = group;
  const spend = num(v.spend);
  if (spend !== undefined) m.litellmSpendUsd = spend;
  const cacheHit = bool(v.cache_hit);
  if (cacheHit !== undefined) m.cacheHit = cacheHit;
  if (derivedId) m.sourceIdDerived = true;
  draft.metadata = m;
  return { kind: 'payload', draft };
});

export const adapter: Adapter = {
  id: 'litellm',
  description: 'LiteLLM proxy spend logs: LiteLLM_SpendLogs as CSV (psql \\copy … csv header) or the JSON of GET /spend/logs; StandardLoggingPayload JSON from the S3/GCS logging callbacks',
  input: 'json-or-csv',
  independent: true,
  fileFilter: /\.(csv|json|jsonl|ndjson)(\.gz)?$/i,
  create: stateless(convert),
  sniff(first) {
    const v = obj(first.value);
    if (v && isStandardLoggingPayload(v)) return 'prompt_tokens' in v && 'model' in v;
    return !!v && 'request_id' in v && 'call_type' in v && 'prompt_tokens' in v && ('startTime' in v || 'spend' in v);
  },
  checkHeader: (columns) => missingColumns(columns, REQUIRED_COLUMNS, 'a LiteLLM spend log'),
};
