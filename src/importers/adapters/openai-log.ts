/**
 * JSONL of OpenAI objects an application logged itself (docs/import-formats.md `openai-log`): one
 * Chat Completion, Completion or Response object per line, as returned by the API.
 *
 * Also understood, because that is what streaming code ends up logging:
 * - Responses streaming events: `response.completed` / `response.failed` /
 *   `response.incomplete` carry the final Response object in `response`; the other
 *   `response.*` events (deltas, `response.created`, …) are not requests.
 * - Chat Completion chunks (`chat.completion.chunk`): all chunks of one stream share an id.
 *   They become ONE payload per stream, from the chunk carrying `usage` (only sent with
 *   `stream_options.include_usage`), or partial `usage_missing` when no chunk had it;
 *   the other chunks are skipped as copies of that response.
 * Latency is not in the bodies, so none is reported.
 */
import { readOpenAIBody, type OpenAIBodyFacts } from '../readers/openai-body.js';
import { interpretOrReject, compact, isObject, kindOf, label, meta, reject, settleUsage, skip, text, type Json } from '../readers/source-fields.js';
import type { Adapter, Converter, Draft, RecordOutcome, Result, SourceRecord } from '../types.js';

const TERMINAL_EVENTS = new Set(['response.completed', 'response.failed', 'response.incomplete']);
const COMPLETION_OBJECTS = new Set(['chat.completion', 'text_completion', 'response']);

type Line =
  | { kind: 'outcome'; outcome: RecordOutcome }
  | { kind: 'filter-only' }
  | { kind: 'chunk'; id: string; facts: OpenAIBodyFacts; draft: () => Draft };

function interpret(record: SourceRecord): Line {
  const value = record.value;
  if (!isObject(value)) return done(reject(`line is ${kindOf(value)}, not an OpenAI response object`));
  let obj: Json = value;
  // A failed Responses stream sends an `error` event before `response.failed`; the latter
  // is the request (its partial), the event is not.
  if (obj.type === 'error' && !('object' in obj) && !('id' in obj) && typeof obj.sequence_number === 'number') return done(skip('not_a_request'));
  if (typeof obj.type === 'string' && obj.type.startsWith('response.') && !('object' in obj)) {
    if (!TERMINAL_EVENTS.has(obj.type)) return done(skip('not_a_request'));
    if (!isObject(obj.response)) return done(reject(`${obj.type} event has no response object`));
    obj = obj.response;
  }
  // Azure's asynchronous content-filter chunks have an empty id, model and object: annotations only.
  if (obj.id === '' && Array.isArray(obj.prompt_filter_results)) return { kind: 'filter-only' };
  const kind = obj.object;
  if (kind === 'chat.completion.chunk') return interpretChunk(obj);
  if (typeof kind !== 'string' || !COMPLETION_OBJECTS.has(kind)) {
    if (isObject(obj.error) && !('id' in obj)) return done(reject('an API error body with no id or model: nothing to attribute it to'));
    return done(reject(typeof kind === 'string' ? `object ${label(kind)} is not a Chat Completion or Response` : 'no "object" field: not a Chat Completion or Response object'));
  }
  const id = text(obj.id);
  if (id === undefined) return done(reject('id is missing'));
  const facts = readOpenAIBody(obj, '');
  if (facts.unfinished) return done(skip('not_a_request')); // a queued/in-progress snapshot, not a finished request
  if (!facts.model) return done(reject('model is missing'));
  return done({ kind: 'payload', draft: toDraft(id, facts) });
}

function interpretChunk(obj: Json): Line {
  const id = text(obj.id);
  if (id === undefined) return done(reject('id is missing'));
  const facts = readOpenAIBody(obj, '');
  if (!facts.model) return done(reject('model is missing'));
  return { kind: 'chunk', id, facts, draft: () => toDraft(id, facts) };
}

function toDraft(id: string, facts: OpenAIBodyFacts): Draft {
  const failed = facts.failure !== undefined;
  return compact({
    sourceId: id,
    provider: facts.azure ? 'azure-openai' : (facts.vendor ?? 'openai'),
    model: facts.model!,
    status: failed ? 'error' : 'success',
    errorCode: facts.failure?.code,
    ...settleUsage(facts.usage, failed ? 'request_failed' : undefined),
    createdAt: facts.createdAt,
    userId: facts.userId,
    metadata: meta({ stopReason: facts.stopReason, serviceTier: facts.serviceTier }),
  });
}

const done = (outcome: RecordOutcome): Line => ({ kind: 'outcome', outcome });

interface Stream {
  record: SourceRecord;
  draft: () => Draft;
  stopReason?: string;
  /** Azure content-filter annotations on any chunk of the stream (they are rarely on the usage chunk). */
  azure: boolean;
}

/**
 * Stateless for whole objects; chunks of a stream are held (one record per open stream)
 * until the chunk with usage arrives, or until finish() when none does.
 */
class OpenAILogConverter implements Converter {
  private readonly open = new Map<string, Stream>();
  /** Streams already emitted from their usage chunk: later chunks are copies. */
  private readonly closed = new Set<string>();
  /** The file in which an Azure filter-only chunk announced the next stream. */
  private filterSeenIn: string | undefined;

  push(record: SourceRecord): Result[] {
    const line = interpretOrReject(record, interpret);
    if (Array.isArray(line)) return line;
    if (line.kind === 'filter-only') {
      // Azure sends it first, right before the stream's own chunks: that stream is Azure's.
      this.filterSeenIn = record.file;
      return [{ record, outcome: skip('not_a_request') }];
    }
    const announced = this.filterSeenIn === record.file;
    this.filterSeenIn = undefined;
    if (line.kind === 'outcome') return [{ record, outcome: line.outcome }];
    const copy: RecordOutcome = skip('duplicate_copy');
    if (this.closed.has(line.id)) return [{ record, outcome: copy }];
    const stream = this.open.get(line.id);
    const stopReason = line.facts.stopReason ?? stream?.stopReason;
    const azure = line.facts.azure || (stream?.azure ?? false) || (stream === undefined && announced);
    if (line.facts.usage) {
      // The usage chunk is the stream's last: emit the payload now, release the held chunk.
      this.open.delete(line.id);
      this.closed.add(line.id);
      const draft = finishStream(line.draft(), stopReason, azure);
      const out: Result[] = stream ? [{ record: stream.record, outcome: copy }] : [];
      out.push({ record, outcome: { kind: 'payload', draft } });
      return out;
    }
    if (stream) {
      stream.stopReason = stopReason;
      stream.azure = azure;
      return [{ record, outcome: copy }];
    }
    this.open.set(line.id, { record, draft: line.draft, stopReason, azure });
    return [];
  }

  finish(): Result[] {
    const out: Result[] = [];
    for (const s of this.open.values()) {
      out.push({ record: s.record, outcome: { kind: 'payload', draft: finishStream(s.draft(), s.stopReason, s.azure) } });
    }
    this.open.clear();
    return out;
  }
}

/** A stream's payload takes what any of its chunks said: the stop reason, Azure's annotations. */
function finishStream(draft: Draft, stopReason: string | undefined, azure: boolean): Draft {
  let d = draft;
  if (stopReason !== undefined) d = { ...d, metadata: { ...d.metadata, stopReason } };
  if (azure && d.provider !== 'azure-openai') d = { ...d, provider: 'azure-openai' };
  return d;
}

/**
 * An error body as OpenAI and Azure OpenAI answer a failed request, logged in place of the
 * response: `{error: {message, type?, param?, code: string | null}}` (Azure adds `status`,
 * `innererror`). --from auto recognises it as this format, so a log that opens with failures
 * is read as --from openai-log reads it (each such line rejected: it names no request or
 * model). Google's error bodies (`code` a number, `status` a name) are not this shape.
 */
function isOpenAIErrorBody(v: Json): boolean {
  const e = v.error;
  if (!isObject(e) || typeof e.message !== 'string' || 'id' in v || 'object' in v || 'type' in v) return false;
  return typeof e.code === 'string' || (e.code === null && 'type' in e) || (e.code === undefined && typeof e.type === 'string');
}

export const adapter: Adapter = {
  id: 'openai-log',
  description: 'JSONL of OpenAI Chat Completion / Response objects an application logged',
  input: 'json',
  create: () => new OpenAILogConverter(),
  sniff: ({ value }) => {
    if (!isObject(value)) return false;
    if (typeof value.type === 'string' && value.type.startsWith('response.') && isObject(value.response)) return true;
    if (isOpenAIErrorBody(value)) return true;
    return (
      (value.object === 'chat.completion' || value.object === 'chat.completion.chunk' || value.object === 'text_completion' || value.object === 'response') &&
      typeof value.id === 'string'
    );
  },
};
