/**
 * The adapter contract for `opsmeter import`. An adapter is a small pure module that turns
 * one source record into an outcome; everything shared — reading files, line numbers,
 * externalRequestId derivation, defaults, user-id hashing, model mapping, createdAt
 * normalisation, output, rejects and the summary — lives in the import pipeline (run.ts).
 *
 * Every source record ends in exactly one outcome:
 *   payload (complete, or partial when `partialReason` is set) | skip (reason) | reject (reason)
 * so the summary invariant `read = complete + partial + skipped + rejected` holds by construction.
 */
import type { PartialReason, Status } from '../contract/fields.js';
import type { BatchIds } from './readers/batch-id.js';

export type FormatId =
  | 'openai-batch'
  | 'openai-log'
  | 'anthropic-batch'
  | 'anthropic-log'
  | 'claude-code'
  | 'codex'
  | 'gemini'
  | 'gemini-cli'
  | 'opencode'
  | 'otel'
  | 'litellm'
  | 'openrouter'
  | 'bedrock'
  | 'csv'
  | 'jsonl';

/** One record as read from the source. */
export interface SourceRecord {
  /** Parsed JSON value (JSON inputs), or header → cell map (CSV inputs). */
  value: unknown;
  /** File the record came from (display name). */
  file: string;
  /** 1-based line where the record starts in that file. */
  line: number;
  /** The record's source text when the reader has it (JSONL line, CSV row); used for --rejects. */
  raw?: string;
}

/** Why a record produced no payload but is not an error. */
export type SkipReason =
  | 'not_a_request' // e.g. a Claude Code user/summary line, a header-only line
  | 'duplicate_copy' // the same response logged more than once (kept once)
  | 'sidechain_replay' // a Claude Code sidechain replay of a parent message
  | 'empty_bucket' // an aggregate/bucket row with nothing in it
  | 'agent_or_tool_span' // an OpenTelemetry agent, workflow or tool span: its model calls are spans of their own
  | 'blank' // a blank line or empty CSV row
  | 'before_since' // createdAt before --since
  | 'after_until' // createdAt at or after --until (a date: after that day)
  | 'no_date'; // no createdAt, with --since or --until given: nothing says it is inside

/**
 * What an adapter extracts from one record. The pipeline finishes it into a Payload:
 * derives externalRequestId from `sourceId`, maps `model` through the catalog rules,
 * normalises `createdAt` to UTC ISO, applies --data-mode/--environment/--endpoint-tag/
 * --prompt-version defaults where the draft has none, hashes user ids, and writes
 * breakdowns and the partial mark into `metadata`.
 */
export interface Draft {
  /** The source's own request id (custom_id, requestId, …) or a stable composite when it has none. */
  sourceId: string;
  provider: string;
  /** As logged; mapped to a catalog id by the pipeline. */
  model: string;
  status: Status;
  errorCode?: string;
  /** All input tokens (cache reads and writes included — see docs/import-formats.md, "Input tokens"). */
  inputTokens?: number;
  /** All output tokens (reasoning included, except Gemini thoughts which the adapter adds). */
  outputTokens?: number;
  /** Only when the source states it; otherwise the pipeline computes input + output if both exist. */
  totalTokens?: number;
  /** Breakdowns (subsets of inputTokens / outputTokens), written to metadata. */
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  /** Only where the source measured it. */
  latencyMs?: number;
  /** Source timestamp: ISO string (zoneless = UTC), or epoch seconds/milliseconds as a number. */
  createdAt?: string | number;
  /** Raw user identifier; the pipeline hashes it under --hash-user-ids. */
  userId?: string;
  tenantId?: string;
  endpointTag?: string;
  promptVersion?: string;
  environment?: string;
  dataMode?: string;
  /**
   * What the request was within the source (an OpenAI batch line's custom_id): when another
   * record carries the same source id with another request key, the pipeline scopes its id
   * by the key (`<sourceId>#<requestKey>`) instead of dropping it as a copy.
   */
  requestKey?: string;
  /** Set → the payload is partial: unknown token counts stay undefined, never 0. */
  partialReason?: PartialReason;
  /**
   * Extra source facts worth keeping (providerRequestId, batch id, …): flat primitives only.
   * An undefined entry is left out of the payload, as an undefined draft field is.
   */
  metadata?: Record<string, string | number | boolean | null | undefined>;
}

export type RecordOutcome =
  | { kind: 'payload'; draft: Draft }
  | { kind: 'skip'; reason: SkipReason }
  | { kind: 'reject'; reason: string };

/** An outcome together with the record it belongs to (stateful adapters may emit late). */
export interface Result {
  record: SourceRecord;
  outcome: RecordOutcome;
}

export interface AdapterContext {
  /** --map payloadField=sourceColumnOrJsonPath entries (generic csv/jsonl adapters). */
  map: Record<string, string>;
  /**
   * Batch formats: the batch id (--batch-id or the file name) that scopes lines without a
   * globally unique id, with counts for the summary. Adapters make their own when absent.
   */
  batchIds?: BatchIds;
  /** --model: the model of records that name none (Bedrock batch output of non-Anthropic models). */
  model?: string;
}

/**
 * A converter is created per import run. Most adapters are stateless and return the
 * record's own Result from push(); stateful ones (claude-code dedupe) may hold records
 * back and release them later from push() or finish(). Every record pushed must come
 * back exactly once.
 */
export interface Converter {
  push(record: SourceRecord): Result[];
  finish(): Result[];
  /** After finish(): facts about the rows worth a line of the summary (e.g. totals that disagree). */
  notes?(): string[];
}

export interface Adapter {
  id: FormatId;
  /** One line for --help and the README. */
  description: string;
  /**
   * How the pipeline reads the files: JSON records (JSONL, or a JSON array/object), CSV rows,
   * or either ('json-or-csv': decided per file by extension, else by its first byte).
   */
  input: 'json' | 'csv' | 'json-or-csv';
  /** Directory inputs: which file names to read (e.g. /\.jsonl$/ for Claude Code projects). */
  fileFilter?: RegExp;
  create(ctx: AdapterContext): Converter;
  /**
   * Every record's outcome depends on that record and the context alone (the converter
   * holds nothing from one record to the next, push() returns the record's own Result), so
   * the pipeline may convert a large JSONL file's lines in worker threads, each with its own
   * converter (docs/import.md "Performance"). Stateful adapters (streams, sessions) must not
   * set it; nor may one whose converter keeps `notes` (a thread's converter is not the one the
   * summary asks). With `unpack`, each part of a JSONL line is converted on its own, at the
   * line's line, as on the main thread.
   */
  independent?: true;
  /**
   * A source record that is a container of records (a CloudWatch Logs Insights export holds
   * many log events in one JSON document): its parts, each with a JSON pointer into the
   * record. The pipeline reads each part as a record of its own, at the part's own line, so
   * every part gets one outcome; the container itself is not a row. Undefined → not a container.
   */
  unpack?(value: unknown): readonly { value: unknown; pointer: string }[] | undefined;
  /**
   * A JSON document that is an object holding its records in an array under this key (a
   * CloudWatch Logs Insights export's `results`): the array's elements are read one by one in
   * flat memory, each a record at its own line (src/read/records.ts, ReadOptions.arrayMember).
   * `unpack` still serves such a container when it comes whole (one JSONL line).
   */
  arrayMember?: string;
  /** For --from auto: does this first record look like this format? */
  sniff?(first: SourceRecord): boolean;
  /**
   * CSV inputs: checked against each file's header before any row is converted. Returns what
   * is wrong (e.g. a --map column the header lacks) → the import stops with exit 2.
   */
  checkHeader?(columns: readonly string[], ctx: AdapterContext): string | undefined;
}

/** Helper for stateless adapters. */
export function stateless(convert: (record: SourceRecord, ctx: AdapterContext) => RecordOutcome): Adapter['create'] {
  return (ctx) => ({
    push: (record) => [{ record, outcome: convert(record, ctx) }],
    finish: () => [],
  });
}
