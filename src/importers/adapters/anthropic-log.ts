/**
 * Anthropic Messages API responses an application logged (docs/import-formats.md#anthropic-log):
 * one JSON object per line, either a whole Message (`type: "message"`, what
 * `messages.create` returns) or the events of a stream, one per line, in order:
 *   message_start (the message id, model, input and cache usage; output_tokens is a
 *   placeholder) · content_block_* · ping · message_delta (the final cumulative output
 *   count, the stop reason) · message_stop — or an `error` event that ends the stream.
 * A stream becomes ONE payload, at its message_start line, when it ends (message_stop,
 * error, the next message_start, or the end of the file); its message_delta lines are
 * skipped as parts of it. message_delta carries no id, so streams are taken to be written
 * one after another within a file (a logger writes them so; interleaved streams cannot be
 * told apart).
 *
 * Token semantics are anthropic-batch's (readers/anthropic-usage.ts). The provider follows
 * the message id: Bedrock's Anthropic models answer `msg_bdrk_…`, Vertex AI's `msg_vrtx_…`.
 */
import { anthropicProvider, readAnthropicUsage } from '../readers/anthropic-usage.js';
import { UNKNOWN_MODEL, asReason, compact, isObject, kindOf, label, meta, reject, settleUsage, skip, text, type Json } from '../readers/source-fields.js';
import type { Adapter, Converter, Draft, RecordOutcome, Result, SourceRecord } from '../types.js';

const NOT_REQUESTS = new Set(['content_block_start', 'content_block_delta', 'content_block_stop', 'ping', 'message_stop']);

function messageDraft(message: Json, usage: unknown, failure?: string): RecordOutcome {
  const id = text(message.id);
  if (id === undefined) return reject('message.id is missing');
  const model = text(message.model);
  if (model === undefined) return reject('message.model is missing');
  const facts = readAnthropicUsage(usage, 'usage');
  const draft: Draft = compact({
    sourceId: id,
    provider: anthropicProvider(id),
    model,
    status: failure === undefined ? 'success' : 'error',
    errorCode: failure,
    ...settleUsage(facts, failure === undefined ? undefined : 'request_failed'),
    metadata: meta({
      stopReason: text(message.stop_reason),
      serviceTier: isObject(usage) ? text(usage.service_tier) : undefined,
    }),
  });
  return { kind: 'payload', draft };
}

/** A stream between its message_start and its end. */
interface OpenStream {
  record: SourceRecord;
  message: Json;
  /** message_start's usage, then each message_delta's (cumulative) counts over it. */
  usage: Json;
  /** message_start's output_tokens is a placeholder until a message_delta states the count. */
  delta: boolean;
}

class AnthropicLogConverter implements Converter {
  private open: OpenStream | undefined;

  push(record: SourceRecord): Result[] {
    const out: Result[] = [];
    if (this.open && this.open.record.file !== record.file) out.push(this.close());
    try {
      const outcome = this.convert(record, out);
      if (outcome) out.push({ record, outcome });
    } catch (e) {
      out.push({ record, outcome: reject(asReason(e)) });
    }
    return out;
  }

  finish(): Result[] {
    return this.open ? [this.close()] : [];
  }

  /** This record's outcome, or undefined while it holds an open stream; streams it ends go to `out`. */
  private convert(record: SourceRecord, out: Result[]): RecordOutcome | undefined {
    const v = record.value;
    const done = (outcome: RecordOutcome) => outcome;
    if (!isObject(v)) return done(reject(`line is ${kindOf(v)}, not a Messages API response or stream event`));
    const type = v.type;
    if (typeof type !== 'string') return done(reject('no "type" field: not a Messages API response or stream event'));
    switch (type) {
      case 'message':
        return done(messageDraft(v, v.usage));
      case 'message_start': {
        if (this.open) out.push(this.close());
        if (!isObject(v.message)) return done(reject('message_start has no message object'));
        const usage = isObject(v.message.usage) ? v.message.usage : {};
        this.open = { record, message: v.message, usage: { ...usage }, delta: false };
        return undefined;
      }
      case 'message_delta': {
        if (!this.open) return done(reject('message_delta without a message_start before it: its message is unknown'));
        if (isObject(v.usage)) for (const [k, x] of Object.entries(v.usage)) if (x !== null && x !== undefined) this.open.usage[k] = x;
        if (isObject(v.delta) && text(v.delta.stop_reason) !== undefined) this.open.message = { ...this.open.message, stop_reason: v.delta.stop_reason };
        this.open.delta = true;
        return done(skip('duplicate_copy'));
      }
      case 'error': {
        const error = isObject(v.error) ? v.error : undefined;
        const code = text(error?.type) ?? 'error';
        if (this.open) {
          // The stream failed after it started: it is the failed request.
          out.push(this.close(code));
          return done(skip('not_a_request'));
        }
        const requestId = text(v.request_id);
        if (requestId === undefined) return done(reject('an API error body with no request_id: nothing to attribute it to'));
        return done({
          kind: 'payload',
          draft: compact({
            sourceId: requestId,
            provider: 'anthropic',
            model: UNKNOWN_MODEL,
            status: 'error',
            errorCode: code,
            partialReason: 'request_failed',
            metadata: meta({ providerRequestId: requestId }),
          }),
        });
      }
      default:
        if (NOT_REQUESTS.has(type)) {
          if (type === 'message_stop' && this.open) out.push(this.close());
          return done(skip('not_a_request'));
        }
        return done(reject(`type ${label(type)} is not a Messages API response or stream event`));
    }
  }

  /** The open stream's payload (or reject), at its message_start line. */
  private close(failure?: string): Result {
    const s = this.open!;
    this.open = undefined;
    const usage = { ...s.usage };
    if (!s.delta) delete usage.output_tokens; // only the placeholder: the output is unknown
    let outcome: RecordOutcome;
    try {
      outcome = messageDraft(s.message, usage, failure);
    } catch (e) {
      outcome = reject(asReason(e));
    }
    return { record: s.record, outcome };
  }
}

export const adapter: Adapter = {
  id: 'anthropic-log',
  description: 'JSONL of Anthropic Messages API responses or stream events an application logged',
  input: 'json',
  create: () => new AnthropicLogConverter(),
  sniff: ({ value }) =>
    isObject(value) &&
    ((value.type === 'message' && typeof value.id === 'string' && 'usage' in value) ||
      (value.type === 'message_start' && isObject(value.message) && value.message.type === 'message')),
};
