/**
 * OpenAI Batch API output and error files (docs/import-formats.md `openai-batch`), and
 * Azure OpenAI batch output. One line per request:
 *   {id, custom_id, response: {status_code, request_id, body} | null, error: {code, message} | null}
 * The body is a Chat Completion, Response, Completion or Embeddings object, or `{error}` on
 * a 4xx/5xx. Lines carry no latency; the only timestamp is the body's `created`/`created_at`.
 *
 * Identity: custom_id is unique only within one batch, so the source id is the line's own
 * `id` (`batch_req_…`, global and stable), else (Azure lines have no `id`) the response's
 * `request_id`, else the body's `id`; only a line with none of them (an Azure line that never
 * ran) falls back to `<batch id>:<custom_id>`, or the bare custom_id when no batch id is
 * known — nothing on an Azure line names its batch (batch-id.ts).
 */
import type { PartialReason } from '../../contract/fields.js';
import { isAzureRequestId, readOpenAIBody } from '../readers/openai-body.js';
import { UNKNOWN_MODEL, guarded, isObject, kindOf, reject, settleUsage, text, type Json } from '../readers/source-fields.js';
import { BatchIds } from '../readers/batch-id.js';
import { stateless, type Adapter, type RecordOutcome, type SourceRecord } from '../types.js';

function convert(record: SourceRecord, batchIds: BatchIds): RecordOutcome {
  const v = record.value;
  if (!isObject(v)) return reject(`line is ${kindOf(v)}, not a Batch output object`);
  const customId = text(v.custom_id);
  if (customId === undefined) return reject('custom_id is missing: not an OpenAI Batch output or error line');
  if (!('response' in v) && 'method' in v && 'url' in v) {
    return reject('this is a Batch input line (method/url/body): import the batch output or error file');
  }
  if (v.error !== undefined && v.error !== null && !isObject(v.error)) return reject(`error is ${kindOf(v.error)}, not an object`);
  const lineError = isObject(v.error) ? v.error : undefined;
  const batchRequestId = text(v.id);
  const response = v.response;
  const batchId = batchIds.batchId(record.file);

  if (response === null || response === undefined) {
    // Not an HTTP failure: the request never ran (batch_expired, batch_cancelled, …).
    if (!lineError) return reject('response and error are both empty');
    const code = text(lineError.code) ?? 'batch_error';
    return {
      kind: 'payload',
      draft: {
        sourceId: batchRequestId ?? batchIds.scope(record.file, customId),
        provider: providerOf(v, undefined, false),
        model: UNKNOWN_MODEL,
        status: 'error',
        errorCode: code,
        partialReason: nonHttpReason(code),
        requestKey: customId,
        metadata: { batchRequestId, customId, batchId },
      },
    };
  }
  if (!isObject(response)) return reject(`response is ${kindOf(response)}, not an object`);
  const statusCode = response.status_code;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode)) return reject('response.status_code is missing or not an integer');
  if (!isObject(response.body)) return reject('response.body is missing or not an object');
  const body = response.body;
  const requestId = text(response.request_id);
  const facts = readOpenAIBody(body, 'response.body');

  const httpOk = statusCode >= 200 && statusCode < 300;
  const bodyError = isObject(body.error) ? body.error : undefined;
  // errorCode (docs/import-formats.md `openai-batch`) = error.code ?? body.error.code ?? body.error.type ?? String(status_code).
  const errorCode = !httpOk
    ? (text(lineError?.code) ?? text(bodyError?.code) ?? text(bodyError?.type) ?? String(statusCode))
    : lineError
      ? (text(lineError.code) ?? 'error')
      : facts.failure?.code;
  const failed = errorCode !== undefined;
  const usage = settleUsage(facts.usage, failed ? 'request_failed' : undefined);
  if (!facts.model && (usage.inputTokens !== undefined || usage.outputTokens !== undefined)) {
    return reject('response.body.model is missing on a line with usage');
  }
  return {
    kind: 'payload',
    // Literals of one shape each, undefined where unknown (finishDraft leaves those out): on
    // every line of a batch file, copying them into minimal objects (compact, meta) and
    // spreading the usage cost ~3 % of the import's CPU (measured with perf).
    draft: {
      sourceId: batchRequestId ?? requestId ?? facts.responseId ?? batchIds.scope(record.file, customId),
      provider: providerOf(v, requestId, facts.azure, facts.vendor),
      model: facts.model ?? UNKNOWN_MODEL,
      status: failed ? 'error' : 'success',
      errorCode,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.totalTokens,
      cachedInputTokens: usage.cachedInputTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      reasoningTokens: usage.reasoningTokens,
      partialReason: usage.partialReason,
      createdAt: facts.createdAt,
      userId: facts.userId,
      requestKey: customId,
      metadata: {
        batchRequestId,
        customId,
        batchId,
        providerRequestId: requestId,
        responseId: facts.responseId,
        httpStatus: statusCode,
        stopReason: facts.stopReason,
        serviceTier: facts.serviceTier,
      },
    },
  };
}

/**
 * Azure OpenAI batch lines differ from OpenAI's: no `id` (OpenAI always writes
 * `batch_req_…`), a UUID request id, content-filter annotations in the body.
 */
function providerOf(line: Json, requestId: string | undefined, filterAnnotations: boolean, vendor?: string): string {
  if (filterAnnotations) return 'azure-openai';
  // A vendor the body names outranks the absence of a line id (other batch services omit it too).
  if (vendor !== undefined) return vendor;
  return !('id' in line) || isAzureRequestId(requestId) ? 'azure-openai' : 'openai';
}

function nonHttpReason(code: string): PartialReason {
  if (code === 'batch_expired') return 'batch_expired';
  if (code === 'batch_cancelled' || code === 'batch_canceled') return 'batch_canceled';
  return 'request_failed';
}

export const adapter: Adapter = {
  id: 'openai-batch',
  description: 'OpenAI / Azure OpenAI Batch API output and error files (JSONL)',
  input: 'json',
  independent: true,
  create: (ctx) => {
    const batchIds = ctx.batchIds ?? new BatchIds('openai-batch');
    return stateless(guarded((record) => convert(record, batchIds)))(ctx);
  },
  sniff: ({ value }) => isObject(value) && typeof value.custom_id === 'string' && 'response' in value,
};
