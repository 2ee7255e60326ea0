/**
 * OpenCode's message storage (docs/import-formats.md `opencode`):
 * `~/.local/share/opencode/storage/message/<session id>/msg_*.json`, one message per file, or
 * the same messages as JSONL (the `message` table of a newer OpenCode's `opencode.db`, its
 * `data` with the row's id and session id). An assistant message is one model call:
 * `{role: "assistant", providerID, modelID, time: {created, completed}, tokens: {input, output,
 * reasoning, cache: {read, write}}, cost, finish, error}`.
 *
 * Counts: OpenCode's `tokens.input` excludes the cache (it subtracts the cached tokens where
 * the provider included them), so input = input + cache.read + cache.write. `reasoning` is
 * inside `output` as the AI SDK reports it, except Google's: Gemini counts thoughts apart
 * from the candidates (as the gemini adapter reads them), so they are added there — as they
 * are wherever reasoning exceeds the output, which cannot hold it. A message whose counts are
 * all zero was not measured (still streaming, or stopped before a step finished).
 * OpenCode's own `cost` is kept as metadata, never used.
 */
import type { PartialReason } from '../../contract/fields.js';
import { UNKNOWN_MODEL, compact, count, guarded, isObject, kindOf, meta, optionalObject, reject, settleUsage, skip, text, type Json, type Usage } from '../readers/source-fields.js';
import { stateless, type Adapter, type Draft, type RecordOutcome, type SourceRecord } from '../types.js';

/** providerID values whose catalog id differs (the catalog's own aliases map amazon-bedrock and azure). */
const PROVIDERS: Record<string, string> = {
  'google-vertex': 'google',
  'google-vertex-anthropic': 'google',
};

/** Providers whose reasoning count is not inside the output count (Gemini's thoughts). */
const THOUGHTS_APART = new Set(['google', 'google-vertex']);

function usageOf(tokens: Json, providerID: string): Usage & { reasoningAdded?: true } {
  const cache = optionalObject(tokens.cache, 'tokens.cache');
  const input = count(tokens.input, 'tokens.input');
  const read = count(cache?.read, 'tokens.cache.read');
  const write = count(cache?.write, 'tokens.cache.write');
  let output = count(tokens.output, 'tokens.output');
  const reasoning = count(tokens.reasoning, 'tokens.reasoning');
  let reasoningAdded: true | undefined;
  if (output !== undefined && reasoning !== undefined && reasoning > 0 && (THOUGHTS_APART.has(providerID) || reasoning > output)) {
    output += reasoning;
    reasoningAdded = true;
  }
  return {
    inputTokens: input === undefined ? undefined : input + (read ?? 0) + (write ?? 0),
    outputTokens: output,
    cachedInputTokens: read,
    cacheWriteTokens: write,
    reasoningTokens: reasoning,
    reasoningAdded,
  };
}

function convert(record: SourceRecord): RecordOutcome {
  const v = record.value;
  if (!isObject(v)) return reject(`record is ${kindOf(v)}, not an OpenCode message`);
  if (isSessionOrPart(v)) return skip('not_a_request'); // storage/session/… and storage/part/… files
  if (v.role === 'user') return skip('not_a_request');
  if (v.role !== 'assistant') return reject(typeof v.role === 'string' ? `role ${JSON.stringify(v.role)} is not an OpenCode message role` : 'role is missing: not an OpenCode message');
  const id = text(v.id);
  if (id === undefined) return reject('id is missing (an export of opencode.db must add the row id to its data: docs/import-formats.md#opencode)');
  const providerID = text(v.providerID);
  if (providerID === undefined) return reject('providerID is missing on an assistant message');
  const modelID = text(v.modelID);
  const time = optionalObject(v.time, 'time');
  const created = count(time?.created, 'time.created');
  const completed = count(time?.completed, 'time.completed');
  const error = optionalObject(v.error, 'error');
  const data = error && isObject(error.data) ? error.data : undefined;
  const failed = error !== undefined;
  const tokens = optionalObject(v.tokens, 'tokens');
  const usage = tokens ? usageOf(tokens, providerID) : undefined;
  const measured = usage !== undefined && ((usage.inputTokens ?? 0) > 0 || (usage.outputTokens ?? 0) > 0);
  // A failed call's zeros are no measurement (not_measured, from settleUsage); a success's are no usage at all.
  const fields = settleUsage(measured || failed ? usage : undefined, failed ? ('request_failed' satisfies PartialReason) : undefined);
  const draft: Draft = compact({
    sourceId: id,
    provider: PROVIDERS[providerID] ?? providerID,
    model: modelID ?? UNKNOWN_MODEL,
    status: failed ? 'error' : 'success',
    errorCode: failed ? (text(error.name) ?? 'error') : undefined,
    ...fields,
    latencyMs: created !== undefined && completed !== undefined && completed >= created ? completed - created : undefined,
    createdAt: created,
    metadata: meta({
      sessionId: text(v.sessionID),
      agent: text(v.agent) ?? text(v.mode),
      stopReason: text(v.finish),
      summary: v.summary === true ? true : undefined,
      httpStatus: typeof data?.statusCode === 'number' ? data.statusCode : undefined,
      sourceCostUsd: typeof v.cost === 'number' && Number.isFinite(v.cost) ? v.cost : undefined,
      modelMissing: modelID === undefined ? true : undefined,
      reasoningAddedToOutput: fields.outputTokens !== undefined ? usage?.reasoningAdded : undefined,
    }),
  });
  return { kind: 'payload', draft };
}

/** OpenCode's session info (`ses_…` with projectID) and message part (`prt_…` with messageID) files. */
function isSessionOrPart(v: Json): boolean {
  const id = typeof v.id === 'string' ? v.id : '';
  return (id.startsWith('ses_') && 'projectID' in v) || (id.startsWith('prt_') && typeof v.messageID === 'string');
}

function isMessage(v: Json): boolean {
  if (typeof v.sessionID !== 'string') return false;
  if (v.role === 'assistant') return typeof v.providerID === 'string' && typeof v.modelID === 'string' && isObject(v.tokens);
  return v.role === 'user' && (isObject(v.model) || (typeof v.id === 'string' && v.id.startsWith('msg_')));
}

export const adapter: Adapter = {
  id: 'opencode',
  description: 'OpenCode message storage (~/.local/share/opencode/storage/message/**/msg_*.json, or its messages as JSONL)',
  input: 'json',
  independent: true,
  fileFilter: /^msg_[^/\\]*\.json$|\.(jsonl|ndjson)(\.gz)?$/i,
  create: stateless(guarded(convert)),
  sniff: ({ value }) => isObject(value) && (isMessage(value) || isSessionOrPart(value)),
};
