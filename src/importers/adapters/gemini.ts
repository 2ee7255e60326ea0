/**
 * Google Gemini API and Vertex AI outputs (docs/import-formats.md#gemini), one JSON object
 * per line:
 * - Gemini API batch output: `{key, response: GenerateContentResponse}` or `{key, error}`;
 * - Vertex AI batch prediction output: `{status, processed_time, request, response?}` (a
 *   non-empty status is the row's error);
 * - GenerateContentResponse objects an application logged, whole or as stream chunks.
 *   Every chunk of a stream carries the same `responseId` and the usage so far; the one
 *   whose candidate has a `finishReason` is the last. A stream is ONE payload, from that
 *   chunk; the earlier chunks are skipped as parts of it.
 *
 * The provider is `google` (the catalog's id for both the Gemini API and Vertex AI);
 * `metadata.platform` says which one the record came from. Vertex names its models
 * `gemini-2.0-flash-001@default`; the catalog's version-suffix rule maps them.
 */
import { createHash } from 'node:crypto';
import { readGeminiUsage } from '../readers/gemini-usage.js';
import { UNKNOWN_MODEL, interpretOrReject, compact, isObject, kindOf, meta, reject, settleUsage, skip, text, timestamp, type Json } from '../readers/source-fields.js';
import type { Adapter, Converter, Draft, RecordOutcome, Result, SourceRecord } from '../types.js';

type Platform = 'gemini-api' | 'vertex-ai';

const RESPONSE_KEYS = ['candidates', 'usageMetadata', 'modelVersion', 'promptFeedback'];

function isResponse(v: Json): boolean {
  return RESPONSE_KEYS.some((k) => k in v);
}

/** The first candidate's finishReason, or the prompt's blockReason: the response is over. */
function finishOf(r: Json): string | undefined {
  const c = Array.isArray(r.candidates) && isObject(r.candidates[0]) ? r.candidates[0] : undefined;
  const finish = text(c?.finishReason);
  if (finish !== undefined) return finish;
  return isObject(r.promptFeedback) ? text(r.promptFeedback.blockReason) : undefined;
}

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

interface Identity {
  sourceId: string;
  derived?: boolean;
  requestKey?: string;
  key?: string;
}

function responseDraft(r: Json, at: string, id: Identity, platform: Platform, createdAt?: string): Draft {
  const finish = finishOf(r);
  const modelVersion = text(r.modelVersion);
  const vertex = platform === 'vertex-ai' || (modelVersion?.includes('@') ?? false) || 'createTime' in r;
  const blocked = finish !== undefined && isObject(r.promptFeedback) && text(r.promptFeedback.blockReason) === finish;
  const usage = readGeminiUsage(r.usageMetadata, `${at}usageMetadata`, finish !== undefined);
  return compact({
    sourceId: id.sourceId,
    provider: 'google',
    model: modelVersion ?? UNKNOWN_MODEL,
    status: 'success',
    ...settleUsage(usage),
    createdAt: createdAt ?? timestamp(r.createTime, `${at}createTime`),
    requestKey: id.requestKey,
    metadata: meta({
      platform: vertex ? 'vertex-ai' : 'gemini-api',
      key: id.key,
      responseId: text(r.responseId),
      stopReason: blocked ? undefined : finish,
      blockReason: blocked ? finish : undefined,
      sourceIdDerived: id.derived ? true : undefined,
      // The response's own total where it is not the sum of the billed parts (see readGeminiUsage).
      loggedTotalTokens: usage?.statedTotal,
    }),
  });
}

function errorDraft(id: Identity, platform: Platform, code: string, model: string | undefined, createdAt?: string): Draft {
  return compact({
    sourceId: id.sourceId,
    provider: 'google',
    model: model ?? UNKNOWN_MODEL,
    status: 'error',
    errorCode: code,
    partialReason: 'request_failed',
    createdAt,
    requestKey: id.requestKey,
    metadata: meta({ platform, key: id.key, sourceIdDerived: id.derived ? true : undefined }),
  });
}

/** Vertex writes the error into `status` as text: "Bad Request: {\"error\": {…, \"status\": \"INVALID_ARGUMENT\"}}". */
function vertexErrorCode(status: string): string {
  const brace = status.indexOf('{');
  if (brace >= 0) {
    try {
      const parsed = JSON.parse(status.slice(brace)) as unknown;
      const e = isObject(parsed) && isObject(parsed.error) ? parsed.error : undefined;
      const code = text(e?.status) ?? (typeof e?.code === 'number' ? String(e.code) : undefined);
      if (code !== undefined) return code;
    } catch {
      // not JSON after all: fall through to the text before it
    }
  }
  const head = status.slice(0, brace >= 0 ? brace : undefined).replace(/[:\s]+$/, '').trim();
  return head !== '' && head.length <= 60 ? head : 'error';
}

/** Vertex rows carry no id: their processed time and request name them (stable across runs). */
function vertexIdentity(v: Json): Identity {
  const request = isObject(v.request) ? v.request : undefined;
  const labels = isObject(request?.labels) ? request.labels : undefined;
  const label = labels ? (text(labels.custom_id) ?? text(labels.litellm_custom_id)) : undefined;
  const basis = `${String(v.processed_time)}|${JSON.stringify(v.request ?? null)}`;
  if (label !== undefined) return { sourceId: `vertex:${label}:${shortHash(basis)}`, derived: true, requestKey: label, key: label };
  return { sourceId: `vertex:${shortHash(basis)}`, derived: true };
}

type Line = { kind: 'outcome'; outcome: RecordOutcome } | { kind: 'chunk'; id: string; draft: Draft; final: boolean };

function interpret(record: SourceRecord): Line {
  const v = record.value;
  const done = (outcome: RecordOutcome): Line => ({ kind: 'outcome', outcome });
  if (!isObject(v)) return done(reject(`line is ${kindOf(v)}, not a Gemini or Vertex AI output line`));
  const payload = (draft: Draft): Line => done({ kind: 'payload', draft });

  if (typeof v.key === 'string' && ('response' in v || 'error' in v)) {
    // Gemini API batch output line.
    const key = v.key;
    if ('request' in v && !('response' in v) && !('error' in v)) return done(reject('this is a batch request line (key/request): import the batch output file'));
    if (isObject(v.error)) {
      const e = v.error;
      const code = text(e.status) ?? (typeof e.code === 'number' ? String(e.code) : 'error');
      return payload(errorDraft({ sourceId: `key:${key}`, requestKey: key, key }, 'gemini-api', code, undefined));
    }
    if (!isObject(v.response)) return done(reject('response is missing or not an object'));
    const r = v.response;
    const responseId = text(r.responseId);
    return payload(responseDraft(r, 'response.', { sourceId: responseId ?? `key:${key}`, requestKey: key, key }, 'gemini-api'));
  }
  if ('processed_time' in v && 'status' in v && 'request' in v) {
    // Vertex AI batch prediction output line.
    const id = vertexIdentity(v);
    const createdAt = timestamp(v.processed_time, 'processed_time');
    const status = typeof v.status === 'string' ? v.status : undefined;
    if (status === undefined) return done(reject(`status is ${kindOf(v.status)}, not a string`));
    if (status.trim() !== '' || !isObject(v.response)) {
      return payload(errorDraft(id, 'vertex-ai', status.trim() !== '' ? vertexErrorCode(status) : 'response_missing', undefined, createdAt));
    }
    const r = v.response;
    return payload(responseDraft(r, 'response.', { ...id, sourceId: text(r.responseId) ?? id.sourceId, derived: text(r.responseId) === undefined }, 'vertex-ai', createdAt));
  }
  if ('request' in v && !('response' in v) && (typeof v.key === 'string' || isObject(v.request))) {
    return done(reject('this is a batch request line (key/request): import the batch output file'));
  }
  if (isObject(v.error) && !isResponse(v)) return done(reject('an API error body with no id or model: nothing to attribute it to'));
  if (!isResponse(v)) return done(reject('no candidates, usageMetadata or modelVersion: not a Gemini or Vertex AI output line'));
  // A logged GenerateContentResponse, whole or a stream chunk.
  const final = finishOf(v) !== undefined;
  const responseId = text(v.responseId);
  if (responseId === undefined) {
    // Without an id, a chunk that did not finish is one of several carrying running usage.
    if (!final) return done(skip('duplicate_copy'));
    const raw = record.raw ?? JSON.stringify(v);
    return payload(responseDraft(v, '', { sourceId: `response:${shortHash(raw)}`, derived: true }, 'gemini-api'));
  }
  return { kind: 'chunk', id: responseId, draft: responseDraft(v, '', { sourceId: responseId }, 'gemini-api'), final };
}

interface HeldChunk {
  record: SourceRecord;
  draft: Draft;
}

/**
 * Whole responses and batch lines are stateless; the chunks of a stream are held (the
 * latest one per responseId) until the final chunk arrives, or until finish() when none does.
 */
class GeminiConverter implements Converter {
  private readonly open = new Map<string, HeldChunk>();
  /** Payloads whose totalTokenCount disagrees with the sum of their parts. */
  private totalsDisagree = 0;

  push(record: SourceRecord): Result[] {
    const line = interpretOrReject(record, interpret);
    if (Array.isArray(line)) return this.counted(line);
    if (line.kind === 'outcome') return this.counted([{ record, outcome: line.outcome }]);
    const held = this.open.get(line.id);
    const out: Result[] = [];
    if (held) out.push({ record: held.record, outcome: skip('duplicate_copy') });
    if (line.final) {
      this.open.delete(line.id);
      out.push(...this.counted([{ record, outcome: { kind: 'payload', draft: line.draft } }]));
    } else {
      // Held without its text: only the draft is needed later.
      this.open.set(line.id, { record: { ...record, value: undefined, raw: undefined }, draft: line.draft });
    }
    return out;
  }

  finish(): Result[] {
    // A stream that never finished: its last chunk's input is known, its output is not final.
    const out = [...this.open.values()].map(({ record, draft }): Result => {
      const { outputTokens: _, reasoningTokens: __, ...rest } = draft;
      return { record, outcome: { kind: 'payload', draft: { ...rest, partialReason: 'usage_missing' } } };
    });
    this.open.clear();
    return out;
  }

  notes(): string[] {
    if (this.totalsDisagree === 0) return [];
    const n = this.totalsDisagree;
    return [
      `⚠ ${n.toLocaleString('en-US')} Gemini ${n === 1 ? 'response states' : 'responses state'} a totalTokenCount other than promptTokenCount + toolUsePromptTokenCount + candidatesTokenCount + thoughtsTokenCount: their payloads carry that sum (the billed parts), metadata.loggedTotalTokens the stated total`,
    ];
  }

  private counted(results: Result[]): Result[] {
    for (const r of results) if (r.outcome.kind === 'payload' && r.outcome.draft.metadata?.loggedTotalTokens !== undefined) this.totalsDisagree++;
    return results;
  }
}

export const adapter: Adapter = {
  id: 'gemini',
  description: 'Gemini API / Vertex AI batch output and logged generateContent responses (JSONL)',
  input: 'json',
  create: () => new GeminiConverter(),
  sniff: ({ value }) => {
    if (!isObject(value)) return false;
    if (typeof value.key === 'string' && (isObject(value.response) || isObject(value.error))) return true;
    if ('processed_time' in value && 'status' in value && 'request' in value) return true;
    return isObject(value.usageMetadata) || (Array.isArray(value.candidates) && 'modelVersion' in value);
  },
};
