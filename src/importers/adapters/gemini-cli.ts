/**
 * Gemini CLI sessions (docs/import-formats.md `gemini-cli`): `~/.gemini/tmp/<project hash>/chats/`,
 * one file per session, in either of the layouts the CLI has written:
 * - `session-<time>-<id>.json`: one JSON document `{sessionId, projectHash, startTime,
 *   lastUpdated, messages: [...]}` (the messages are read one by one: arrayMember);
 * - `session-<time>-<id>.jsonl` (and a subagent's `<parent>/<session id>.jsonl`): a metadata
 *   line, then each message record as it is written — the same message again, whole, each time
 *   it changes (its token counts arrive after it, then its tool calls) — with `{$set: …}`
 *   metadata updates (a `$set.messages` checkpoint lists messages again) and `{$rewindTo: id}`.
 *
 * A `type: "gemini"` message is one model call; its `tokens` are the response's usageMetadata
 * under short names: input = promptTokenCount (the cached content included), output =
 * candidatesTokenCount, thoughts = thoughtsTokenCount, tool = toolUsePromptTokenCount. As in
 * the gemini adapter (Google's definitions): input = input + tool, output = output + thoughts,
 * `cached` is inside input. Every version of a message has its id (a random UUID): the first
 * version that states tokens is the call, the others are copies. A rewind hides messages from the
 * conversation, not from the bill: rewound calls are counted.
 */
import { UNKNOWN_MODEL, compact, count, interpretOrReject, isObject, kindOf, label, meta, optionalObject, reject, settleUsage, skip, text, timestamp, type Json } from '../readers/source-fields.js';
import type { Adapter, Converter, Draft, RecordOutcome, Result, SourceRecord } from '../types.js';

const MESSAGE_TYPES = new Set(['user', 'gemini', 'info', 'error', 'warning']);

/** A gemini message's latest version in its file, until the file ends. */
interface Held {
  record: SourceRecord;
  draft: Draft;
  hasTokens: boolean;
}

type Line = { kind: 'outcome'; outcome: RecordOutcome } | { kind: 'call'; id: string; draft: Draft; hasTokens: boolean } | { kind: 'metadata'; sessionId: string | undefined };

function isMessage(v: Json): boolean {
  return typeof v.id === 'string' && typeof v.type === 'string' && MESSAGE_TYPES.has(v.type);
}

function tokensOf(t: Json): { input?: number; output?: number; cached?: number; thoughts?: number; total?: number } {
  const input = count(t.input, 'tokens.input');
  const tool = count(t.tool, 'tokens.tool');
  const output = count(t.output, 'tokens.output');
  const thoughts = count(t.thoughts, 'tokens.thoughts');
  return {
    input: input === undefined ? undefined : input + (tool ?? 0),
    output: output === undefined ? undefined : output + (thoughts ?? 0),
    cached: count(t.cached, 'tokens.cached'),
    thoughts,
    total: count(t.total, 'tokens.total'),
  };
}

function interpret(record: SourceRecord, sessionId: string | undefined): Line {
  const v = record.value;
  if (!isObject(v)) return done(reject(`line is ${kindOf(v)}, not a Gemini CLI session record`));
  if ('$rewindTo' in v || '$set' in v) return done(skip('not_a_request'));
  if (!isMessage(v)) {
    if (typeof v.sessionId === 'string' && ('projectHash' in v || 'messageId' in v)) {
      // The metadata line (or a prompt of logs.json: `{sessionId, messageId, type, message}`).
      return 'projectHash' in v ? { kind: 'metadata', sessionId: text(v.sessionId) } : done(skip('not_a_request'));
    }
    return done(reject(typeof v.type === 'string' ? `type ${label(v.type)} is not a Gemini CLI message type` : 'neither a message ({id, type}) nor session metadata: not a Gemini CLI session record'));
  }
  if (v.type !== 'gemini') return done(skip('not_a_request'));
  const id = v.id as string;
  const t = optionalObject(v.tokens, 'tokens');
  const tokens = t ? tokensOf(t) : undefined;
  // The CLI writes 0 for a count the response did not state: all-zero tokens were not measured.
  const measured = tokens !== undefined && ((tokens.input ?? 0) > 0 || (tokens.output ?? 0) > 0);
  const model = text(v.model);
  const usage = settleUsage(measured ? { inputTokens: tokens.input, outputTokens: tokens.output, cachedInputTokens: tokens.cached, reasoningTokens: tokens.thoughts } : undefined);
  const stated = tokens?.total;
  const draft: Draft = compact({
    sourceId: id,
    provider: 'google',
    model: model ?? UNKNOWN_MODEL,
    status: 'success',
    ...usage,
    createdAt: timestamp(v.timestamp, 'timestamp'),
    metadata: meta({
      sessionId,
      modelMissing: model === undefined ? true : undefined,
      loggedTotalTokens: measured && stated !== undefined && usage.inputTokens !== undefined && usage.outputTokens !== undefined && stated !== usage.inputTokens + usage.outputTokens ? stated : undefined,
    }),
  });
  return { kind: 'call', id, draft, hasTokens: measured };
}

const done = (outcome: RecordOutcome): Line => ({ kind: 'outcome', outcome });

class GeminiCliConverter implements Converter {
  private file = '';
  private sessionId: string | undefined;
  /** This file's calls by message id, in first-seen order. */
  private held = new Map<string, Held>();

  push(record: SourceRecord): Result[] {
    const released = record.file === this.file ? [] : this.release();
    if (record.file !== this.file) {
      this.file = record.file;
      this.sessionId = undefined;
    }
    const line = interpretOrReject(record, (r) => interpret(r, this.sessionId));
    if (Array.isArray(line)) return [...released, ...line];
    if (line.kind === 'outcome') return [...released, { record, outcome: line.outcome }];
    if (line.kind === 'metadata') {
      this.sessionId ??= line.sessionId;
      return [...released, { record, outcome: skip('not_a_request') }];
    }
    const before = this.held.get(line.id);
    const candidate: Held = { record: trim(record), draft: line.draft, hasTokens: line.hasTokens };
    if (!before) {
      this.held.set(line.id, candidate);
      return released;
    }
    // The CLI states a message's tokens once (later versions add tool calls, or repeat it in a
    // checkpoint): the first version with tokens is the call, every other version a copy.
    const laterWins = candidate.hasTokens && !before.hasTokens;
    const [kept, copy] = laterWins ? [candidate, before] : [before, candidate];
    this.held.set(line.id, kept);
    return [...released, { record: copy.record, outcome: skip('duplicate_copy') }];
  }

  finish(): Result[] {
    return this.release();
  }

  private release(): Result[] {
    const out = [...this.held.values()].map((h): Result => ({ record: h.record, outcome: { kind: 'payload', draft: h.draft } }));
    this.held = new Map();
    return out;
  }
}

/**
 * A held version keeps its record without the message's text: only its place (file, line and
 * the pipeline's own fields) and ids, so memory does not grow with the conversation.
 */
function trim(record: SourceRecord): SourceRecord {
  const v = record.value as Json;
  return { ...record, value: compact({ id: v.id, type: v.type, timestamp: v.timestamp, model: v.model, tokens: v.tokens }), raw: undefined };
}

/** A Gemini CLI message record as a line of its own (id, type, timestamp, content). */
function looksLikeMessage(v: unknown): boolean {
  return isObject(v) && isMessage(v) && typeof v.timestamp === 'string' && 'content' in v && !('uuid' in v) && !('sessionId' in v);
}

export const adapter: Adapter = {
  id: 'gemini-cli',
  description: 'Gemini CLI sessions (~/.gemini/tmp/<project hash>/chats/session-*.json, *.jsonl)',
  input: 'json',
  fileFilter: /^(?:session-.*|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl?$/i,
  arrayMember: 'messages',
  // A whole session document (one read whole, or on one line) and a `$set.messages` checkpoint hold messages.
  unpack: (value) => {
    if (!isObject(value)) return undefined;
    if (Array.isArray(value.messages) && typeof value.sessionId === 'string') return value.messages.map((m, i) => ({ value: m, pointer: `/messages/${i}` }));
    if (isObject(value.$set) && Array.isArray(value.$set.messages)) return value.$set.messages.map((m, i) => ({ value: m, pointer: `/$set/messages/${i}` }));
    return undefined;
  },
  create: () => new GeminiCliConverter(),
  sniff: ({ value }) => {
    if (!isObject(value)) return false;
    if (typeof value.sessionId === 'string' && typeof value.projectHash === 'string') return true; // metadata line, whole document
    if (typeof value.sessionId === 'string' && typeof value.messageId === 'number' && typeof value.message === 'string') return true; // logs.json
    if (Array.isArray(value.messages) && Object.keys(value).length === 1) return value.messages.some(looksLikeMessage); // a document larger than the peek
    return looksLikeMessage(value);
  },
};
