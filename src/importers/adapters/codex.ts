/**
 * Codex CLI session rollouts (docs/import-formats.md#codex): `~/.codex/sessions/YYYY/MM/DD/
 * rollout-<time>-<session uuid>.jsonl`, one `{timestamp, type, payload}` envelope per line.
 * Only `event_msg` lines whose payload type is `token_count` carry usage; session_meta,
 * turn_context, response_item and the other event messages are not requests.
 *
 * A token_count's `info.last_token_usage` is one model call; `info.total_token_usage` is the
 * session's running total (never summed). `input_tokens` already includes
 * `cached_input_tokens` and `output_tokens` already includes `reasoning_output_tokens`
 * (total_tokens = input + output), so the counts map as they are. The model is the one the
 * preceding `turn_context` names.
 *
 * Identity: Codex writes no request id. The running total does name a call within its
 * session — it moves with every call — so a call is `<lineage>:<running total>`:
 * - Codex re-emits a token_count with an unchanged running total after each call (about
 *   one line in two in real rollouts); that copy gets the same id and is skipped.
 * - A forked session (session_meta `forked_from_id`) replays its parent's token history at
 *   the top of its own file, running totals included. The lineage is the oldest ancestor the
 *   file names, so a replayed call has the id it has in the parent's rollout, and the
 *   pipeline skips the second copy of it in the run (duplicate_copy).
 * Lines with only a running total (older CLIs) take the difference from the previous one.
 *
 * A rollout whose model answered (assistant messages, reasoning, tool calls) but that holds no
 * token count at all imports nothing: the summary names it (notes), never a silent 0.
 */
import { UNKNOWN_MODEL, compact, count, guarded, isObject, kindOf, meta, optionalObject, reject, skip, text, timestamp, type Json } from '../readers/source-fields.js';
import type { Adapter, Converter, RecordOutcome, Result, SourceRecord } from '../types.js';

interface Tokens {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

/** What one rollout file has said so far (lines are read in order). */
interface FileState {
  file: string;
  metaSeen: boolean;
  sessionId?: string;
  /** The oldest session this file's history belongs to (itself unless forked). */
  lineage?: string;
  provider: string;
  model?: string;
  turnId?: string;
  /** The last running total seen, as counts and as the id part. */
  total?: Tokens;
  totalKey?: string;
  /** Sum of the calls read from last_token_usage alone (no running total in the file). */
  ownTotal: number;
  /** The model answered in this file (an assistant message, reasoning, a tool call)… */
  modelActivity: boolean;
  /** …and the file states token counts (a token_count with info). */
  tokenCounts: boolean;
}

/** response_item payloads that only the model writes. */
const MODEL_ITEMS = new Set(['reasoning', 'function_call', 'custom_tool_call', 'local_shell_call', 'web_search_call']);

const SESSION_UUID = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;
const ENVELOPES = new Set(['session_meta', 'turn_context', 'event_msg', 'response_item', 'compacted']);

function tokens(o: Json, at: string): Tokens {
  const input = count(o.input_tokens, `${at}.input_tokens`) ?? 0;
  const output = count(o.output_tokens, `${at}.output_tokens`) ?? 0;
  return {
    input,
    cached: count(o.cached_input_tokens, `${at}.cached_input_tokens`) ?? 0,
    output,
    reasoning: count(o.reasoning_output_tokens, `${at}.reasoning_output_tokens`) ?? 0,
  };
}

const keyOf = (t: Tokens) => `${t.input}/${t.cached}/${t.output}/${t.reasoning}`;

class CodexConverter implements Converter {
  private state: FileState = { file: '', metaSeen: false, provider: 'openai', ownTotal: 0, modelActivity: false, tokenCounts: false };
  /** Files whose model answered (activity) with no token count anywhere in them: nothing of theirs was imported. */
  private readonly uncounted: string[] = [];

  push(record: SourceRecord): Result[] {
    if (record.file !== this.state.file) {
      this.closeFile();
      const fromName = SESSION_UUID.exec(record.file)?.[1];
      this.state = { file: record.file, metaSeen: false, sessionId: fromName, lineage: fromName, provider: 'openai', ownTotal: 0, modelActivity: false, tokenCounts: false };
    }
    return [{ record, outcome: guarded((r) => this.convert(r))(record) }];
  }

  finish(): Result[] {
    this.closeFile();
    return [];
  }

  notes(): string[] {
    const n = this.uncounted.length;
    if (n === 0) return [];
    const names = n <= 3 ? this.uncounted.join(', ') : `${this.uncounted.slice(0, 3).join(', ')} and ${n - 3} more`;
    return [
      `⚠ ${n} Codex ${n === 1 ? 'session shows' : 'sessions show'} model activity (assistant messages, reasoning or tool calls) but no token counts, so nothing was imported for ${n === 1 ? 'it' : 'them'}: the rollout does not record its usage (Codex builds before token_count events, or a session cut short): ${names}`,
    ];
  }

  /** The file read so far answered without a token count: a silent 0 unless the summary says so. */
  private closeFile(): void {
    if (this.state.file !== '' && this.state.modelActivity && !this.state.tokenCounts) this.uncounted.push(this.state.file);
  }

  private convert(record: SourceRecord): RecordOutcome {
    const v = record.value;
    if (!isObject(v)) return reject(`line is ${kindOf(v)}, not a Codex rollout line`);
    if (typeof v.type !== 'string' || !isObject(v.payload)) return reject('type or payload is missing: not a Codex rollout line');
    const s = this.state;
    const p = v.payload;
    if (v.type === 'session_meta') {
      const id = text(p.id);
      const parent = text(p.forked_from_id);
      if (!s.metaSeen) {
        // The first session_meta is the file's own session.
        s.metaSeen = true;
        if (id !== undefined) s.sessionId = id;
        s.lineage = parent ?? s.sessionId;
        s.provider = text(p.model_provider) ?? s.provider;
      } else if (parent !== undefined && id !== undefined && id === s.lineage) {
        // An ancestor a fork embeds: its own forked_from_id moves the lineage one further up.
        s.lineage = parent;
      }
      return skip('not_a_request');
    }
    if (v.type === 'turn_context') {
      s.model = text(p.model) ?? s.model;
      s.turnId = text(p.turn_id) ?? s.turnId;
      return skip('not_a_request');
    }
    if (v.type === 'response_item' && (MODEL_ITEMS.has(p.type as string) || (p.type === 'message' && p.role === 'assistant'))) s.modelActivity = true;
    if (v.type !== 'event_msg' || p.type !== 'token_count') return skip('not_a_request');
    const info = optionalObject(p.info, 'payload.info');
    if (!info) return skip('not_a_request'); // a rate-limit update, no call
    s.tokenCounts = true;
    const last = optionalObject(info.last_token_usage, 'payload.info.last_token_usage');
    const totalObj = optionalObject(info.total_token_usage, 'payload.info.total_token_usage');
    if (!last && !totalObj) return reject('token_count info has neither last_token_usage nor total_token_usage');
    const total = totalObj ? tokens(totalObj, 'payload.info.total_token_usage') : undefined;
    const totalKey = total ? keyOf(total) : undefined;
    if (totalKey !== undefined && totalKey === s.totalKey) return skip('duplicate_copy'); // re-emitted, the running total did not move
    let call: Tokens;
    if (last) call = tokens(last, 'payload.info.last_token_usage');
    else {
      const prev = s.total;
      // A running total below the previous one is a new counter (a restarted session).
      const reset = prev !== undefined && (total!.input < prev.input || total!.output < prev.output);
      call = prev === undefined || reset ? total! : { input: total!.input - prev.input, cached: Math.max(0, total!.cached - prev.cached), output: total!.output - prev.output, reasoning: Math.max(0, total!.reasoning - prev.reasoning) };
    }
    if (total) {
      s.total = total;
      s.totalKey = totalKey;
    }
    // A placeholder with nothing in it (forks open with one) is no call.
    if (call.input === 0 && call.output === 0) return skip('not_a_request');
    let callKey: string;
    if (totalKey !== undefined) callKey = `${s.lineage ?? ''}:${totalKey}`;
    else {
      s.ownTotal += call.input + call.output;
      // Without a running total the id can only be positional: scope it to the file.
      callKey = `${s.lineage ?? record.file}:own:${s.ownTotal}`;
    }
    const model = text(info.model) ?? s.model;
    return {
      kind: 'payload',
      draft: compact({
        sourceId: callKey,
        provider: s.provider,
        model: model ?? UNKNOWN_MODEL,
        status: 'success',
        inputTokens: call.input,
        outputTokens: call.output,
        cachedInputTokens: call.cached,
        reasoningTokens: call.reasoning,
        createdAt: timestamp(v.timestamp, 'timestamp'),
        metadata: meta({
          sessionId: s.sessionId,
          forkedFrom: s.lineage !== undefined && s.lineage !== s.sessionId ? s.lineage : undefined,
          turnId: s.turnId,
          modelMissing: model === undefined ? true : undefined,
        }),
      }),
    };
  }
}

export const adapter: Adapter = {
  id: 'codex',
  description: 'Codex CLI session rollouts (~/.codex/sessions/**/rollout-*.jsonl)',
  input: 'json',
  fileFilter: /\.jsonl$/,
  create: () => new CodexConverter(),
  sniff: ({ value }) => isObject(value) && typeof value.type === 'string' && ENVELOPES.has(value.type) && isObject(value.payload) && !('sessionId' in value),
};
