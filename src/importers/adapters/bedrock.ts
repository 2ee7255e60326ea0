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
 */
import { compact, count, guarded, isObject, kindOf, meta, optionalObject, reject, settleUsage, text, timestamp, type Json, type Usage } from '../readers/source-fields.js';
import { stateless, type Adapter, type RecordOutcome, type SourceRecord } from '../types.js';

const STREAM_METRICS = 'amazon-bedrock-invocationMetrics';

function convert(record: SourceRecord): RecordOutcome {
  const v = record.value;
  if (!isObject(v)) return reject(`record is ${kindOf(v)}, not a Bedrock invocation log record`);
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
    optionalObject(converse?.usage, 'output.outputBodyJson.usage') ??
    optionalObject(streamMetadata?.usage, 'output.outputBodyJson[-1].metadata.usage');
  const bodyMetrics =
    optionalObject(converse?.metrics, 'output.outputBodyJson.metrics') ??
    optionalObject(streamMetadata?.metrics, 'output.outputBodyJson[-1].metadata.metrics');

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

/**
 * `modelId` may be an ARN. Foundation-model and (system) inference-profile ARNs end in the
 * model id, which the catalog rules map (`us.` region prefixes included). Other resources
 * (application inference profiles, provisioned or custom models) name no model: keep
 * `<resource-type>/<id>` so the row shows what was called and counts as an unknown model.
 */
export function modelFromId(modelId: string): string {
  const arn = /^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:([^/]+)\/(.+)$/.exec(modelId);
  if (!arn) return modelId;
  const [, resource, id] = arn as unknown as [string, string, string];
  return resource === 'foundation-model' || resource === 'inference-profile' ? id : `${resource}/${id}`;
}

export const adapter: Adapter = {
  id: 'bedrock',
  description: 'AWS Bedrock model invocation logs (.json / .json.gz from S3 or CloudWatch)',
  input: 'json',
  fileFilter: /\.json(?:\.gz)?$/,
  create: stateless(guarded(convert)),
  sniff: ({ value }) =>
    isObject(value) &&
    (value.schemaType === 'ModelInvocationLog' || (typeof value.requestId === 'string' && typeof value.modelId === 'string' && 'operation' in value)),
};
