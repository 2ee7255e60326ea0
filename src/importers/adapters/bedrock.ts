/**
 * AWS Bedrock model invocation logs (docs/import-formats.md `bedrock`), as delivered to S3
 * (`AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/*.json.gz`, one
 * record per line) or exported from CloudWatch. The pipeline un-gzips; this adapter sees
 * one parsed `ModelInvocationLog` record at a time.
 *
 * Counts: `input.inputTokenCount` is the uncached input; `cacheReadInputTokenCount` and
 * `cacheWriteInputTokenCount` are separate and additive (Claude Code via Bedrock writes more
 * cache than it reads plain input — leaving them out undercounts badly). When the top-level
 * counts are absent, the Converse body (`outputBodyJson.usage`, or a ConverseStream's final
 * `metadata.usage`) or the last stream chunk's `amazon-bedrock-invocationMetrics` are used. Latency only where Bedrock measured it:
 * Converse `metrics.latencyMs` (ConverseStream: `metadata.metrics.latencyMs`), InvokeModel
 * streams `invocationLatency`.
 *
 * Nothing from `identity` (an IAM user ARN), `accountId`, `requestMetadata` or the bodies'
 * text is copied.
 *
 * Batch inference output (`<job id>/<input>.jsonl.out`: `{recordId, modelInput, modelOutput}`
 * or `{recordId, modelInput, error}`) is read by the same adapter: see convertBatchLine. So is a
 * CloudWatch Logs Insights export of the log group: one JSON document whose rows' `@message`
 * cells are the invocation records (unpack: each row is a record of its own).
 */
import { readAnthropicUsage } from '../readers/anthropic-usage.js';
import { BatchIds } from '../readers/batch-id.js';
import { modelFromId } from '../readers/bedrock-model.js';
import { insightsMessage, insightsRows, isInsightsRow, isLogsInsightsExport } from '../readers/logs-insights.js';
import {
  UNKNOWN_MODEL,
  compact,
  count,
  guarded,
  isObject,
  kindOf,
  meta,
  optionalObject,
  reject,
  settleUsage,
  skip,
  text,
  timestamp,
  type Json,
  type Usage,
} from '../readers/source-fields.js';
import type { Adapter, AdapterContext, RecordOutcome, SourceRecord } from '../types.js';

export { modelFromId };

const STREAM_METRICS = 'amazon-bedrock-invocationMetrics';

function convert(record: SourceRecord, batch: BatchContext): RecordOutcome {
  let v = record.value;
  if (isInsightsRow(v)) {
    // A Logs Insights row (Adapter.unpack): the invocation record is its @message.
    const message = insightsMessage(v);
    if ('problem' in message) return reject(message.problem);
    v = message.value;
  }
  if (!isObject(v)) return reject(`record is ${kindOf(v)}, not a Bedrock invocation log record`);
  if (typeof v.recordId === 'string' && 'modelInput' in v) return convertBatchLine(record, v, batch);
  if (isBatchManifest(v)) return skip('not_a_request');
  if (v.schemaType !== undefined && v.schemaType !== 'ModelInvocationLog') {
    return reject('schemaType is not "ModelInvocationLog": not a Bedrock model invocation log record');
  }
  const requestId = text(v.requestId);
  if (requestId === undefined) return reject('requestId is missing: not a Bedrock model invocation log record');
  const modelId = text(v.modelId);
  if (modelId === undefined) return reject('modelId is missing');
  const input = optionalObject(v.input, 'input');
  const output = optionalObject(v.output, 'output');
  const body = output?.outputBodyJson;
  const chunks = Array.isArray(body) ? body : undefined; // a streamed response: one entry per chunk
  const converse = isObject(body) ? body : undefined;
  const streamMetrics = chunks ? lastStreamMetrics(chunks) : undefined;
  const streamMetadata = chunks ? lastConverseStreamMetadata(chunks) : undefined;
  const bodyUsage =
    optionalObject(converse?.usage, 'output.outputBodyJson.usage') ?? optionalObject(streamMetadata?.usage, 'output.outputBodyJson[-1].metadata.usage');
  const bodyMetrics =
    optionalObject(converse?.metrics, 'output.outputBodyJson.metrics') ?? optionalObject(streamMetadata?.metrics, 'output.outputBodyJson[-1].metadata.metrics');

  const usage = readCounts(input, output, bodyUsage, streamMetrics);
  const latencyMs =
    count(bodyMetrics?.latencyMs, 'output.outputBodyJson.metrics.latencyMs') ??
    count(streamMetrics?.invocationLatency, `output.outputBodyJson[-1].${STREAM_METRICS}.invocationLatency`);
  const errorCode = text(v.errorCode);
  const failed = errorCode !== undefined;

  return {
    kind: 'payload',
    draft: compact({
      sourceId: requestId,
      provider: 'aws-bedrock',
      model: modelFromId(modelId),
      status: failed ? 'error' : 'success',
      errorCode,
      ...settleUsage(usage, failed ? 'request_failed' : undefined),
      latencyMs,
      createdAt: timestamp(v.timestamp, 'timestamp'),
      metadata: meta({
        operation: text(v.operation),
        region: text(v.region),
        inferenceRegion: text(v.inferenceRegion),
        stopReason: stopReasonOf(converse, chunks),
      }),
    }),
  };
}

/**
 * Top-level counts first (what Bedrock bills); then Converse usage, then stream metrics.
 * Cache counts absent → no caching (0, not reported); each source is read whole so counts
 * from different places are never mixed.
 */
function readCounts(input: Json | undefined, output: Json | undefined, converse: Json | undefined, stream: Json | undefined): Usage | undefined {
  if (input?.inputTokenCount != null || output?.outputTokenCount != null) {
    return additive(
      count(input?.inputTokenCount, 'input.inputTokenCount'),
      count(input?.cacheReadInputTokenCount, 'input.cacheReadInputTokenCount'),
      count(input?.cacheWriteInputTokenCount, 'input.cacheWriteInputTokenCount'),
      count(output?.outputTokenCount, 'output.outputTokenCount'),
    );
  }
  if (converse) {
    const at = 'output.outputBodyJson.usage';
    // Converse usage: inputTokens excludes cache reads/writes; its totalTokens includes them.
    return additive(
      count(converse.inputTokens, `${at}.inputTokens`),
      count(converse.cacheReadInputTokens, `${at}.cacheReadInputTokens`),
      count(converse.cacheWriteInputTokens, `${at}.cacheWriteInputTokens`),
      count(converse.outputTokens, `${at}.outputTokens`),
    );
  }
  if (stream) {
    const at = `output.outputBodyJson[-1].${STREAM_METRICS}`;
    return additive(
      count(stream.inputTokenCount, `${at}.inputTokenCount`),
      count(stream.cacheReadInputTokenCount, `${at}.cacheReadInputTokenCount`),
      count(stream.cacheWriteInputTokenCount, `${at}.cacheWriteInputTokenCount`),
      count(stream.outputTokenCount, `${at}.outputTokenCount`),
    );
  }
  return undefined;
}

function additive(uncached: number | undefined, read: number | undefined, write: number | undefined, outputTokens: number | undefined): Usage {
  return {
    inputTokens: uncached === undefined ? undefined : uncached + (read ?? 0) + (write ?? 0),
    outputTokens,
    cachedInputTokens: read,
    cacheWriteTokens: write,
  };
}

function lastStreamMetrics(chunks: unknown[]): Json | undefined {
  for (let i = chunks.length - 1; i >= 0; i--) {
    const c = chunks[i];
    if (isObject(c) && isObject(c[STREAM_METRICS])) return c[STREAM_METRICS];
  }
  return undefined;
}

/** ConverseStream logs end with a `metadata` event: `{metadata: {usage, metrics: {latencyMs}}}`. */
function lastConverseStreamMetadata(chunks: unknown[]): Json | undefined {
  for (let i = chunks.length - 1; i >= 0; i--) {
    const c = chunks[i];
    if (isObject(c) && isObject(c.metadata)) return c.metadata;
  }
  return undefined;
}

/** Anthropic bodies say `stop_reason`, Converse `stopReason`; streams put it in a late chunk. */
function stopReasonOf(body: Json | undefined, chunks: unknown[] | undefined): string | undefined {
  if (body) return text(body.stopReason) ?? text(body.stop_reason);
  for (let i = (chunks?.length ?? 0) - 1; i >= 0; i--) {
    const c = chunks![i];
    if (!isObject(c)) continue;
    const delta = isObject(c.delta) ? c.delta : undefined;
    const stop = isObject(c.messageStop) ? c.messageStop : undefined; // ConverseStream
    const r = text(stop?.stopReason) ?? text(delta?.stop_reason) ?? text(c.stop_reason) ?? text(c.stopReason);
    if (r) return r;
  }
  return undefined;
}

interface BatchContext {
  batchIds: BatchIds;
  /** --model: the job's model, for lines whose output names none. */
  model: string | undefined;
}

/** The job summary Bedrock writes next to the output (`manifest.json.out`): totals, no requests. */
function isBatchManifest(v: Json): boolean {
  return typeof v.totalRecordCount === 'number' && typeof v.processedRecordCount === 'number' && !('recordId' in v);
}

/**
 * One line of a batch inference job's output. `modelOutput` is the model's InvokeModel
 * response body (or, for Converse jobs, the Converse response); a failed line has `error`
 * (`{errorCode, errorMessage}`) instead. The line names the model only when the body does
 * (Anthropic Messages bodies carry `model`, by its Anthropic name); --model (the job's
 * modelId) names it for every line, else `unknown` — never a guess. `recordId` is unique only within its job: Anthropic bodies carry
 * a global `msg_bdrk_…` id; other lines are scoped by --batch-id (the job id) when given.
 */
function convertBatchLine(record: SourceRecord, v: Json, batch: BatchContext): RecordOutcome {
  const recordId = v.recordId as string;
  const body = optionalObject(v.modelOutput, 'modelOutput');
  const error = optionalObject(v.error, 'error');
  const batchId = batch.batchIds.batchId(record.file);
  const named = text(body?.model);
  // --model (the job's modelId, a Bedrock id) wins: an Anthropic body names the model by its
  // Anthropic name (`claude-3-haiku-20240307`), which is not a Bedrock model id.
  const model = batch.model ?? named ?? UNKNOWN_MODEL;
  const responseId = text(body?.id);
  const sourceId = responseId ?? batch.batchIds.scope(record.file, recordId);
  const common = { recordId, batchId, batch: true };
  if (!body) {
    if (!error)
      return reject("recordId/modelInput with neither modelOutput nor error: a batch inference input line, not output (import the job's .jsonl.out files)");
    const code = error.errorCode;
    return {
      kind: 'payload',
      draft: compact({
        sourceId,
        provider: 'aws-bedrock',
        model,
        status: 'error',
        errorCode: typeof code === 'number' || typeof code === 'string' ? String(code) : 'error',
        partialReason: 'request_failed',
        metadata: meta(common),
      }),
    };
  }
  return {
    kind: 'payload',
    draft: compact({
      sourceId,
      provider: 'aws-bedrock',
      model,
      status: 'success',
      ...settleUsage(batchBodyUsage(body)),
      latencyMs: count(optionalObject(body.metrics, 'modelOutput.metrics')?.latencyMs, 'modelOutput.metrics.latencyMs'),
      metadata: meta({ ...common, responseId, stopReason: batchStopReason(body), responseModel: batch.model === undefined ? undefined : named }),
    }),
  };
}

/**
 * Usage from a model's response body, by its shape (the body formats are per model family,
 * docs/import-formats.md `bedrock`): Anthropic Messages `usage.input_tokens`; Converse and
 * Nova `usage.inputTokens`; Titan Text `inputTextTokenCount` + `results[].tokenCount`;
 * Llama `prompt_token_count` + `generation_token_count`. A body with none → usage_missing.
 */
function batchBodyUsage(body: Json): Usage | undefined {
  const usage = optionalObject(body.usage, 'modelOutput.usage');
  if (usage && ('input_tokens' in usage || 'output_tokens' in usage)) return readAnthropicUsage(usage, 'modelOutput.usage');
  if (usage) {
    return additive(
      count(usage.inputTokens, 'modelOutput.usage.inputTokens'),
      count(usage.cacheReadInputTokens, 'modelOutput.usage.cacheReadInputTokens'),
      count(usage.cacheWriteInputTokens, 'modelOutput.usage.cacheWriteInputTokens'),
      count(usage.outputTokens, 'modelOutput.usage.outputTokens'),
    );
  }
  if ('inputTextTokenCount' in body) {
    const results = Array.isArray(body.results) ? body.results : undefined;
    let out: number | undefined;
    for (const [i, r] of (results ?? []).entries()) {
      const n = count(isObject(r) ? r.tokenCount : undefined, `modelOutput.results[${i}].tokenCount`);
      if (n !== undefined) out = (out ?? 0) + n;
    }
    return { inputTokens: count(body.inputTextTokenCount, 'modelOutput.inputTextTokenCount'), outputTokens: out };
  }
  if ('prompt_token_count' in body || 'generation_token_count' in body) {
    return {
      inputTokens: count(body.prompt_token_count, 'modelOutput.prompt_token_count'),
      outputTokens: count(body.generation_token_count, 'modelOutput.generation_token_count'),
    };
  }
  return undefined;
}

/**
 * Bedrock batch inference is billed below the on-demand price for the models that support it
 * (AWS: 50 % for supported models), but the price source (@pydantic/genai-prices) has no batch
 * price for AWS and AWS sets it per model, so these lines are priced at the list price: the
 * summary says so, as an overstatement (docs/import.md, "Batch prices").
 */
function batchListPriceNote(n: number): string {
  return `⚠ ${n.toLocaleString('en-US')} Bedrock batch inference ${n === 1 ? 'line is' : 'lines are'} priced at the on-demand list price: AWS bills batch inference at a discount (50 % for the models that support it) that the price source does not know, so their estimate is too high (metadata.batch marks them)`;
}

function batchStopReason(body: Json): string | undefined {
  const first = Array.isArray(body.results) && isObject(body.results[0]) ? body.results[0] : undefined;
  return text(body.stop_reason) ?? text(body.stopReason) ?? text(first?.completionReason);
}

export const adapter: Adapter = {
  id: 'bedrock',
  description: 'AWS Bedrock model invocation logs (.json / .json.gz from S3 or CloudWatch, Logs Insights exports) and batch inference output (.jsonl.out)',
  input: 'json',
  fileFilter: /\.(?:json|jsonl\.out)(?:\.gz)?$/,
  create: (ctx: AdapterContext) => {
    const batch: BatchContext = { batchIds: ctx.batchIds ?? new BatchIds('bedrock'), model: ctx.model === undefined ? undefined : modelFromId(ctx.model) };
    const run = guarded((record) => convert(record, batch));
    let batchLines = 0;
    return {
      push: (record) => {
        const outcome = run(record);
        const d = outcome.kind === 'payload' ? outcome.draft : undefined;
        if (d?.metadata?.batch === true && (d.inputTokens !== undefined || d.outputTokens !== undefined)) batchLines++;
        return [{ record, outcome }];
      },
      finish: () => [],
      notes: () => (batchLines === 0 ? [] : [batchListPriceNote(batchLines)]),
    };
  },
  // A Logs Insights export: its rows are read one by one from the document (streamed); one
  // that comes whole (a one-line JSONL export) is unpacked into the same rows.
  arrayMember: 'results',
  unpack: (value) => (isLogsInsightsExport(value) ? insightsRows(value) : undefined),
  sniff: ({ value }) => {
    if (isLogsInsightsExport(value)) {
      // Claimed when a row's @message is an invocation record (the first rows the head holds).
      const row = value.results.find(isInsightsRow);
      const message = row ? insightsMessage(row) : undefined;
      return message !== undefined && 'value' in message && isInvocationRecord(message.value);
    }
    return (
      isInvocationRecord(value) ||
      (isObject(value) && typeof value.recordId === 'string' && isObject(value.modelInput) && (isObject(value.modelOutput) || isObject(value.error)))
    );
  },
};

function isInvocationRecord(value: unknown): boolean {
  return (
    isObject(value) &&
    (value.schemaType === 'ModelInvocationLog' || (typeof value.requestId === 'string' && typeof value.modelId === 'string' && 'operation' in value))
  );
}
