/**
 * Claude Code session transcripts (docs/import-formats.md `claude-code`): directories of
 * `projects/<encoded-cwd>/<sessionId>.jsonl` (and nested `…/<sessionId>/subagents/*.jsonl`),
 * one JSON object per line. Only assistant lines carrying `message.usage` are API calls;
 * user, summary, system, file-history-snapshot … lines are not requests.
 *
 * One API response is written as several lines (one per content block, plus streaming
 * snapshots with `output_tokens: 2`), all sharing `message.id` + `requestId`, and resumed
 * sessions copy earlier lines into new files. So this converter holds one record per
 * distinct response and releases it from finish(), keeping the copy with the largest usage
 * (the others are skipped as `duplicate_copy`). Side-question sidechains (`isSidechain:
 * true`) replay parent messages with the same `message.id` but a new `requestId`: when a
 * sidechain line shares a message id with another copy, the non-sidechain one is kept and
 * the replay skipped as `sidechain_replay`; distinct sidechain responses still count
 * (as ccusage does, ccusage#913). Without a requestId the dedupe key is `message.id`
 * within its session (ccusage#1661).
 *
 * The provider follows the message id as in anthropic-log: Claude Code on Bedrock writes
 * `msg_bdrk_…` ids and the Bedrock model id it was configured with (`aws-bedrock`, an ARN
 * reduced to the model id), on Vertex AI `msg_vrtx_…` (`google`).
 *
 * Nothing of the conversation is copied: no content, no cwd, no git branch (paths and
 * branch names can carry user names); metadata keeps ids, the stop reason and the tier.
 */
import type { PartialReason } from '../../contract/fields.js';
import { anthropicProvider, readAnthropicUsage, usageSize } from '../readers/anthropic-usage.js';
import { modelFromId } from '../readers/bedrock-model.js';
import {
  UNKNOWN_MODEL,
  interpretOrReject,
  compact,
  isObject,
  kindOf,
  label,
  meta,
  reject,
  settleUsage,
  skip,
  text,
  timestamp,
  type Json,
} from '../readers/source-fields.js';
import type { Adapter, Converter, Draft, RecordOutcome, Result, SourceRecord } from '../types.js';

const SYNTHETIC = '<synthetic>';

/** An assistant response, ready to emit once duplicates are settled. */
interface Response {
  record: SourceRecord;
  draft: Draft;
  /** Dedupe keys; undefined when the line has no message id or uuid (emitted at once). */
  exactKey?: string;
  messageId?: string;
  sidechain: boolean;
  size: number;
}

type Line = { kind: 'outcome'; outcome: RecordOutcome } | { kind: 'response'; response: Response };

function interpret(record: SourceRecord): Line {
  const v = record.value;
  if (!isObject(v)) return done(reject(`line is ${kindOf(v)}, not a Claude Code transcript entry`));
  if (typeof v.type !== 'string') return done(reject('type is missing: not a Claude Code transcript entry'));
  let entry: Json = v;
  if (v.type === 'progress') {
    // Agent-progress lines nest a subagent's assistant entry under data.message; its copy in
    // the subagent's own file has the same ids, so the dedupe below counts it once.
    const inner = isObject(v.data) && isObject(v.data.message) ? v.data.message : undefined;
    if (!inner || !isObject(inner.message) || !isObject(inner.message.usage)) return done(skip('not_a_request'));
    // What a progress line wraps is a subagent's response, whether or not the copy says
    // isSidechain: it stays marked, and does not make the subagent's own line a "replay".
    entry = { ...inner, isSidechain: true, sessionId: inner.sessionId ?? v.sessionId, uuid: inner.uuid ?? v.uuid };
  } else if (v.type !== 'assistant') {
    if (!('uuid' in v) && !('sessionId' in v) && !('leafUuid' in v) && !('messageId' in v)) {
      // Claude Code writes every entry with a uuid, a sessionId, a leafUuid (summary) or a
      // messageId (file-history-snapshot): this line is of another format.
      return done(reject(`type ${label(v.type)} without uuid or sessionId: not a Claude Code transcript entry (a file of another format?)`));
    }
    return done(skip('not_a_request'));
  }
  const message = entry.message;
  if (!isObject(message)) return done(reject('message is missing on an assistant entry'));

  const model = text(message.model);
  const apiError = entry.isApiErrorMessage === true;
  const sessionId = text(entry.sessionId);
  const requestId = text(entry.requestId);
  const messageId = text(message.id);
  const uuid = text(entry.uuid);
  const sidechain = entry.isSidechain === true;
  const httpStatus = typeof entry.apiErrorStatus === 'number' ? entry.apiErrorStatus : undefined;
  const createdAt = timestamp(entry.timestamp, 'timestamp');

  if (model === SYNTHETIC && !apiError) return done(skip('not_a_request')); // a notice the CLI wrote itself, no API call
  if (model === undefined && !apiError) return done(reject('message.model is missing on an assistant entry'));

  const sourceId = requestId ?? messageId ?? (uuid !== undefined ? `uuid:${uuid}` : undefined);
  if (sourceId === undefined) return done(reject('no requestId, message.id or uuid to identify the response'));

  let usageFields;
  let status: Draft['status'] = 'success';
  let errorCode: string | undefined;
  if (apiError) {
    // An API error the CLI recorded (rate_limit, server_error, …). The `<synthetic>` entry's
    // usage, if any, is the CLI's placeholder, not a measurement.
    status = 'error';
    errorCode = text(entry.error) ?? (httpStatus !== undefined ? String(httpStatus) : 'api_error');
    const usage = model === SYNTHETIC ? undefined : readAnthropicUsage(message.usage, 'message.usage');
    usageFields = settleUsage(usage, 'request_failed' satisfies PartialReason);
  } else {
    usageFields = settleUsage(readAnthropicUsage(message.usage, 'message.usage'));
  }
  const usage = isObject(message.usage) ? message.usage : undefined;
  const fast = usage?.speed === 'fast';
  // Claude Code run on Bedrock (or Vertex AI) answers with that platform's message ids, and
  // logs the model id it was given (a Bedrock inference profile, even an ARN).
  const provider = anthropicProvider(messageId);
  const logged = model === undefined || model === SYNTHETIC ? UNKNOWN_MODEL : provider === 'aws-bedrock' ? modelFromId(model) : model;
  const draft: Draft = compact({
    sourceId,
    provider,
    // ccusage's convention: fast mode is priced differently, so it is its own model id.
    model: fast && logged !== UNKNOWN_MODEL ? `${logged}-fast` : logged,
    status,
    errorCode,
    ...usageFields,
    createdAt,
    metadata: meta({
      providerRequestId: requestId,
      responseId: messageId,
      sessionId,
      // A `<synthetic>` entry's stop reason and tier are the CLI's placeholders.
      stopReason: model === SYNTHETIC ? undefined : text(message.stop_reason),
      serviceTier: model === SYNTHETIC ? undefined : text(usage?.service_tier),
      speed: text(usage?.speed),
      httpStatus,
      sidechain: sidechain ? true : undefined,
    }),
  });
  const exactKey = messageId
    ? `m:${messageId}|${requestId !== undefined ? `r:${requestId}` : `s:${sessionId ?? ''}`}`
    : uuid !== undefined
      ? `u:${uuid}`
      : undefined;
  return {
    kind: 'response',
    response: { record, draft, exactKey, messageId, sidechain, size: usageSize(usageFields) },
  };
}

const done = (outcome: RecordOutcome): Line => ({ kind: 'outcome', outcome });

interface Group {
  kept: Response;
}

class ClaudeCodeConverter implements Converter {
  /** Exact key (message id + request id, or + session) → its group; several keys may share one. */
  private readonly byKey = new Map<string, Group>();
  /** Message id → groups, for matching sidechain replays that carry a new request id. */
  private readonly byMessage = new Map<string, Group[]>();
  /** Groups in first-seen order, so output order is deterministic. */
  private readonly groups: Group[] = [];

  push(record: SourceRecord): Result[] {
    const line = interpretOrReject(record, interpret);
    if (Array.isArray(line)) return line;
    if (line.kind === 'outcome') return [{ record, outcome: line.outcome }];
    const candidate = line.response;
    if (candidate.exactKey === undefined) return [{ record, outcome: { kind: 'payload', draft: candidate.draft } }];

    const group = this.byKey.get(candidate.exactKey) ?? this.sidechainMatch(candidate);
    if (!group) {
      const g: Group = { kept: hold(candidate) };
      this.groups.push(g);
      this.index(g, candidate);
      return [];
    }
    this.index(group, candidate);
    const existing = group.kept;
    const candidateWins =
      candidate.sidechain !== existing.sidechain ? existing.sidechain : candidate.size > existing.size;
    const [winner, loser] = candidateWins ? [candidate, existing] : [existing, candidate];
    if (candidateWins) group.kept = hold(candidate);
    const reason = loser.sidechain && !winner.sidechain ? 'sidechain_replay' : 'duplicate_copy';
    return [{ record: loser.record, outcome: skip(reason) }];
  }

  finish(): Result[] {
    const out = this.groups.map((g): Result => ({ record: g.kept.record, outcome: { kind: 'payload', draft: g.kept.draft } }));
    this.groups.length = 0;
    this.byKey.clear();
    this.byMessage.clear();
    return out;
  }

  /** A copy under another request id joins a group only when one side is a sidechain. */
  private sidechainMatch(candidate: Response): Group | undefined {
    if (candidate.messageId === undefined) return undefined;
    return this.byMessage.get(candidate.messageId)?.find((g) => candidate.sidechain || g.kept.sidechain);
  }

  private index(group: Group, r: Response): void {
    if (r.exactKey !== undefined && !this.byKey.has(r.exactKey)) this.byKey.set(r.exactKey, group);
    if (r.messageId !== undefined) {
      const list = this.byMessage.get(r.messageId);
      if (!list) this.byMessage.set(r.messageId, [group]);
      else if (!list.includes(group)) list.push(group);
    }
  }
}

/**
 * A held response keeps a trimmed copy of its record (same file, line and pipeline fields,
 * value reduced to ids and usage): transcript lines carry whole conversation turns, and holding those for
 * every distinct response would make memory grow with the transcripts' text.
 */
function hold(r: Response): Response {
  const v = r.record.value as Json;
  const message = isObject(v.message) ? v.message : undefined;
  const value = compact({
    type: v.type,
    timestamp: v.timestamp,
    sessionId: v.sessionId,
    uuid: v.uuid,
    requestId: v.requestId,
    isSidechain: v.isSidechain,
    message: message ? compact({ id: message.id, model: message.model, usage: message.usage }) : undefined,
  });
  // Spread, so whatever the pipeline tracks the record by (its own fields) survives; the raw
  // line text goes, like the content.
  return { ...r, record: { ...r.record, value, raw: undefined } };
}

export const adapter: Adapter = {
  id: 'claude-code',
  description: 'Claude Code session transcripts (~/.claude/projects/**/*.jsonl)',
  input: 'json',
  fileFilter: /\.jsonl$/,
  create: () => new ClaudeCodeConverter(),
  sniff: ({ value }) =>
    isObject(value) &&
    typeof value.type === 'string' &&
    ((typeof value.sessionId === 'string' && ('parentUuid' in value || 'uuid' in value)) ||
      (value.type === 'summary' && typeof value.leafUuid === 'string') ||
      (value.type === 'file-history-snapshot' && 'snapshot' in value)),
};
