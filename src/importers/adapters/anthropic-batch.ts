/**
 * Anthropic Message Batches results (docs/import-formats.md `anthropic-batch`): one line per request,
 *   {custom_id, result: {type: succeeded|errored|canceled|expired, message?, error?}}
 * Results carry no timestamp and no latency; only `succeeded` lines carry usage.
 *
 * Identity: custom_id is unique only within one batch, so a succeeded line is identified by
 * its `message.id` (msg_…, global) and an errored one by the error's `request_id` when the
 * nested shape carries it. Canceled and expired lines (and flattened errors) carry nothing
 * global: they use `<batch id>:<custom_id>` when the batch id is known (--batch-id, or the
 * `msgbatch_…` the console puts in the file name), else the bare custom_id (batch-id.ts).
 */
import { readAnthropicUsage } from '../readers/anthropic-usage.js';
import { UNKNOWN_MODEL, compact, guarded, isObject, kindOf, label, meta, reject, settleUsage, text } from '../readers/source-fields.js';
import { BatchIds } from '../readers/batch-id.js';
import { stateless, type Adapter, type RecordOutcome, type SourceRecord } from '../types.js';

function convert(record: SourceRecord, batchIds: BatchIds): RecordOutcome {
  const v = record.value;
  if (!isObject(v)) return reject(`line is ${kindOf(v)}, not a Message Batches result object`);
  const customId = text(v.custom_id);
  if (customId === undefined) return reject('custom_id is missing: not an Anthropic Message Batches result line');
  const result = v.result;
  if (!isObject(result)) {
    if ('params' in v) return reject('this is a batch request (custom_id/params): import the batch results file');
    return reject('result is missing or not an object');
  }
  const batchId = batchIds.batchId(record.file);
  const idOf = (globalId: string | undefined) => globalId ?? batchIds.scope(record.file, customId);
  const ids = { customId, batchId };
  switch (result.type) {
    case 'succeeded': {
      const message = result.message;
      if (!isObject(message)) return reject('result.message is missing on a succeeded result');
      const model = text(message.model);
      if (model === undefined) return reject('result.message.model is missing');
      const usage = readAnthropicUsage(message.usage, 'result.message.usage');
      const messageId = text(message.id);
      const settled = settleUsage(usage);
      // One literal shape, undefined where unknown (finishDraft leaves those out): the line every
      // result file is made of, so no copy into minimal objects (as in openai-batch.ts).
      return {
        kind: 'payload',
        draft: {
          sourceId: idOf(messageId),
          provider: 'anthropic',
          model,
          status: 'success',
          inputTokens: settled.inputTokens,
          outputTokens: settled.outputTokens,
          totalTokens: settled.totalTokens,
          cachedInputTokens: settled.cachedInputTokens,
          cacheWriteTokens: settled.cacheWriteTokens,
          reasoningTokens: settled.reasoningTokens,
          partialReason: settled.partialReason,
          metadata: {
            responseId: messageId,
            customId,
            batchId,
            stopReason: text(message.stop_reason),
            serviceTier: isObject(message.usage) ? text(message.usage.service_tier) : undefined,
          },
        },
      };
    }
    case 'errored': {
      // The SDK type nests the error ({type:"error", error:{type, message}, request_id});
      // older docs and many files flatten it ({type:"invalid_request_error", message}).
      const error = isObject(result.error) ? result.error : undefined;
      const nested = isObject(error?.error) ? error.error : undefined;
      const code = text(nested?.type) ?? text(error?.type) ?? 'error';
      const requestId = text(error?.request_id);
      return {
        kind: 'payload',
        draft: compact({
          sourceId: idOf(requestId),
          provider: 'anthropic',
          model: UNKNOWN_MODEL,
          status: 'error',
          errorCode: code,
          partialReason: 'request_failed',
          metadata: meta({ providerRequestId: requestId, ...ids }),
        }),
      };
    }
    case 'canceled':
    case 'expired': {
      const type = result.type;
      return {
        kind: 'payload',
        draft: compact({
          sourceId: idOf(undefined),
          provider: 'anthropic',
          model: UNKNOWN_MODEL,
          status: 'error',
          errorCode: type,
          partialReason: type === 'canceled' ? 'batch_canceled' : 'batch_expired',
          metadata: meta(ids),
        }),
      };
    }
    default:
      return reject(typeof result.type === 'string' ? `result.type ${label(result.type)} is not succeeded, errored, canceled or expired` : 'result.type is missing');
  }
}

export const adapter: Adapter = {
  id: 'anthropic-batch',
  description: 'Anthropic Message Batches results (JSONL)',
  input: 'json',
  independent: true,
  create: (ctx) => {
    const batchIds = ctx.batchIds ?? new BatchIds('anthropic-batch');
    return stateless(guarded((record) => convert(record, batchIds)))(ctx);
  },
  sniff: ({ value }) => isObject(value) && typeof value.custom_id === 'string' && isObject(value.result) && typeof value.result.type === 'string',
};
