/**
 * Anthropic Message Batches results (provider-formats.md §4): one line per request,
 *   {custom_id, result: {type: succeeded|errored|canceled|expired, message?, error?}}
 * Results carry no timestamp and no latency; only `succeeded` lines carry usage.
 */
import { readAnthropicUsage } from './anthropic-usage.js';
import { UNKNOWN_MODEL, compact, guarded, isObject, kindOf, label, meta, reject, settleUsage, text } from './source-fields.js';
import { stateless, type Adapter, type Outcome, type SourceRecord } from './types.js';

function convert(record: SourceRecord): Outcome {
  const v = record.value;
  if (!isObject(v)) return reject(`line is ${kindOf(v)}, not a Message Batches result object`);
  const customId = text(v.custom_id);
  if (customId === undefined) return reject('custom_id is missing: not an Anthropic Message Batches result line');
  const result = v.result;
  if (!isObject(result)) {
    if ('params' in v) return reject('this is a batch request (custom_id/params): import the batch results file');
    return reject('result is missing or not an object');
  }
  const base = { sourceId: customId, provider: 'anthropic' };
  switch (result.type) {
    case 'succeeded': {
      const message = result.message;
      if (!isObject(message)) return reject('result.message is missing on a succeeded result');
      const model = text(message.model);
      if (model === undefined) return reject('result.message.model is missing');
      const usage = readAnthropicUsage(message.usage, 'result.message.usage');
      return {
        kind: 'payload',
        draft: compact({
          ...base,
          model,
          status: 'success',
          ...settleUsage(usage),
          metadata: meta({
            responseId: text(message.id),
            stopReason: text(message.stop_reason),
            serviceTier: isObject(message.usage) ? text(message.usage.service_tier) : undefined,
          }),
        }),
      };
    }
    case 'errored': {
      // The SDK type nests the error ({type:"error", error:{type, message}, request_id});
      // older docs and many files flatten it ({type:"invalid_request_error", message}).
      const error = isObject(result.error) ? result.error : undefined;
      const nested = isObject(error?.error) ? error.error : undefined;
      const code = text(nested?.type) ?? text(error?.type) ?? 'error';
      return {
        kind: 'payload',
        draft: compact({
          ...base,
          model: UNKNOWN_MODEL,
          status: 'error',
          errorCode: code,
          partialReason: 'request_failed',
          metadata: meta({ providerRequestId: text(error?.request_id) }),
        }),
      };
    }
    case 'canceled':
    case 'expired': {
      const type = result.type;
      return {
        kind: 'payload',
        draft: {
          ...base,
          model: UNKNOWN_MODEL,
          status: 'error',
          errorCode: type,
          partialReason: type === 'canceled' ? 'batch_canceled' : 'batch_expired',
        },
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
  create: stateless(guarded(convert)),
  sniff: ({ value }) => isObject(value) && typeof value.custom_id === 'string' && isObject(value.result) && typeof value.result.type === 'string',
};
