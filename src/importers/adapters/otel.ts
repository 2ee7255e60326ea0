/**
 * OpenTelemetry GenAI spans as OTLP JSON (docs/import-formats.md `otel`): the Collector's file
 * exporter (one `{"resourceSpans": …}` document per line, gzipped too), OTLP/HTTP JSON bodies
 * (one document, possibly pretty-printed) and files of bare spans (one per line). Each span is a
 * record of its own (readers/otlp.ts unpacks the documents); one payload per model call.
 *
 * Which spans are model calls (the GenAI semantic conventions, docs/import-formats.md#otel):
 * - `gen_ai.operation.name` chat, text_completion, generate_content, embeddings (and the
 *   spellings instrumentations use for the same: completion, embedding, LiteLLM's
 *   acompletion…): a model call. Any other operation that names a model is taken as one too.
 * - invoke_agent, create_agent, invoke_workflow, execute_tool: agent, workflow and tool spans.
 *   Whatever usage they carry is the sum of their model calls, which are spans of their own:
 *   skipped (`agent_or_tool_span`), never counted again. So is a span without an operation
 *   that names an agent, a tool or a workflow (`gen_ai.agent.*`, `gen_ai.tool.name`,
 *   OpenLLMetry's `traceloop.span.kind`), or that states usage but no model (a total).
 * - retrieval, and spans with no `gen_ai.*` attribute at all (HTTP, database, the Vercel AI
 *   SDK's outer `ai.*` spans): not requests.
 *
 * Counts follow the conventions' own definitions: `gen_ai.usage.input_tokens` includes the
 * cached tokens (`cache_read.input_tokens` and `cache_creation.input_tokens` are subsets of
 * it), reasoning is inside `output_tokens`. An instrumentation that reported a provider's
 * uncached input instead is told by the evidence alone: a subset larger than its whole.
 */
import type { PartialReason } from '../../contract/fields.js';
import { attributeMap, durationMillis, isOtlpSpan, nanosToMillis, SpanInContext, spanParts, statusCode } from '../readers/otlp.js';
import { UNKNOWN_MODEL, compact, count, guarded, isObject, kindOf, meta, reject, settleUsage, skip, text, type Usage } from '../readers/source-fields.js';
import { stateless, type Adapter, type Draft, type RecordOutcome, type SourceRecord } from '../types.js';

const MODEL_CALLS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings', 'completion', 'embedding', 'acompletion', 'aembedding', 'atext_completion']);
const AGENT_OR_TOOL = new Set(['invoke_agent', 'create_agent', 'invoke_workflow', 'execute_tool']);
const NOT_A_CALL = new Set(['retrieval']);
const EMBEDDINGS = new Set(['embeddings', 'embedding', 'aembedding']);
/** OpenLLMetry's span kinds for the spans around model calls. */
const TRACELOOP_KINDS = new Set(['workflow', 'agent', 'task', 'tool']);

/**
 * `gen_ai.provider.name` (and the older `gen_ai.system`) values → catalog provider ids. Values
 * of the conventions' lists, and those instrumentations write (the Vercel AI SDK's
 * `openai.chat`, LiteLLM's `bedrock`, OpenLLMetry's `OpenAI`): unknown ones are kept as written.
 */
const PROVIDERS: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  'aws.bedrock': 'aws-bedrock',
  bedrock: 'aws-bedrock',
  'amazon-bedrock': 'aws-bedrock',
  'azure.ai.openai': 'azure-openai',
  'az.ai.openai': 'azure-openai',
  azure: 'azure-openai',
  'azure-openai': 'azure-openai',
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  gemini: 'google',
  vertex_ai: 'google',
  google: 'google',
  mistral_ai: 'mistral',
  mistral: 'mistral',
  x_ai: 'xai',
  xai: 'xai',
  groq: 'groq',
  deepseek: 'deepseek',
  openrouter: 'openrouter',
  together_ai: 'together',
  togetherai: 'together',
};

/** Google's values say which platform answered: kept in metadata, as the gemini adapter does. */
const GOOGLE_PLATFORMS: Record<string, string> = { 'gcp.gemini': 'gemini-api', gemini: 'gemini-api', 'gcp.vertex_ai': 'vertex-ai', vertex_ai: 'vertex-ai' };

function providerOf(value: string): string {
  const v = value.trim().toLowerCase();
  const known = PROVIDERS[v];
  if (known) return known;
  // The Vercel AI SDK writes `<provider>.<api>` (openai.chat, anthropic.messages, google.generative-ai).
  const dot = v.indexOf('.');
  return dot > 0 ? (PROVIDERS[v.slice(0, dot)] ?? v) : v;
}

type Attributes = Map<string, unknown>;

/** A count attribute: an integer as a number or a decimal string (intValue's JSON mapping); undefined when absent. */
function countAttr(a: Attributes, key: string): number | undefined {
  const v = a.get(key);
  return count(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v, `attribute ${key}`);
}

function firstCount(a: Attributes, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const n = countAttr(a, k);
    if (n !== undefined) return n;
  }
  return undefined;
}

/** Current names first, then the older ones instrumentations still write. */
const INPUT = ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'];
const OUTPUT = ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'];
const CACHE_READ = ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens', 'gen_ai.usage.input_tokens.cached'];
const CACHE_WRITE = ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens', 'gen_ai.usage.cache_write.input_tokens', 'gen_ai.usage.input_tokens.cache_write'];
const REASONING = ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens', 'gen_ai.usage.output_tokens.reasoning'];

interface SpanUsage extends Usage {
  /** The instrumentation reported the uncached input (its cache counts exceed it): they were added. */
  cacheAdded?: true;
  /** Reasoning exceeded the output count, so it cannot have been inside it: it was added. */
  reasoningAdded?: true;
  loggedTotal?: number;
}

function usageOf(a: Attributes): SpanUsage | undefined {
  let input = firstCount(a, INPUT);
  let output = firstCount(a, OUTPUT);
  const read = firstCount(a, CACHE_READ);
  const write = firstCount(a, CACHE_WRITE);
  const reasoning = firstCount(a, REASONING);
  const total = countAttr(a, 'gen_ai.usage.total_tokens') ?? countAttr(a, 'llm.usage.total_tokens');
  if (input === undefined && output === undefined && read === undefined && write === undefined) return undefined;
  const u: SpanUsage = { cachedInputTokens: read, cacheWriteTokens: write, reasoningTokens: reasoning };
  if (input !== undefined && (read ?? 0) + (write ?? 0) > input) {
    input += (read ?? 0) + (write ?? 0);
    u.cacheAdded = true;
  }
  if (output !== undefined && reasoning !== undefined && reasoning > output) {
    output += reasoning;
    u.reasoningAdded = true;
  }
  u.inputTokens = input;
  u.outputTokens = output;
  if (total !== undefined && input !== undefined && output !== undefined && total !== input + output) u.loggedTotal = total;
  return u;
}

type Kind = 'model_call' | 'agent_or_tool' | 'not_a_request';

function kindOfSpan(a: Attributes, model: string | undefined, usage: SpanUsage | undefined): Kind {
  const op = text(a.get('gen_ai.operation.name'));
  if (op !== undefined) {
    const o = op.toLowerCase();
    if (MODEL_CALLS.has(o)) return 'model_call';
    if (AGENT_OR_TOOL.has(o)) return 'agent_or_tool';
    if (NOT_A_CALL.has(o)) return 'not_a_request';
    return model !== undefined ? 'model_call' : 'not_a_request';
  }
  if (a.has('gen_ai.agent.name') || a.has('gen_ai.agent.id') || a.has('gen_ai.tool.name') || a.has('gen_ai.workflow.name') || isTraceloopWrapper(a)) {
    return 'agent_or_tool';
  }
  if (model !== undefined) return 'model_call';
  if (usage !== undefined) return 'agent_or_tool'; // usage without a model: a total over calls
  return 'not_a_request';
}

/** An OpenLLMetry workflow, agent, task or tool span (its own attributes, no gen_ai.* needed). */
function isTraceloopWrapper(a: Attributes): boolean {
  const kind = text(a.get('traceloop.span.kind'));
  return kind !== undefined && TRACELOOP_KINDS.has(kind);
}

function hasGenAi(a: Attributes): boolean {
  for (const k of a.keys()) if (k.startsWith('gen_ai.')) return true;
  return false;
}

/** The SDKs' `service.name` when none is configured: no endpoint. */
const PLACEHOLDER_SERVICE = /^unknown_service(?::|$)/;

function convertSpan(part: SpanInContext): RecordOutcome {
  const span = part.span;
  if ('notASpan' in span) return reject(`a span is ${kindOf(span.notASpan)}, not an object`);
  const a = attributeMap(span.attributes);
  if (!hasGenAi(a)) return skip(isTraceloopWrapper(a) ? 'agent_or_tool_span' : 'not_a_request');
  const requestModel = text(a.get('gen_ai.request.model'));
  const responseModel = text(a.get('gen_ai.response.model'));
  const model = responseModel ?? requestModel;
  const usage = usageOf(a);
  const kind = kindOfSpan(a, model, usage);
  // An embeddings call generates no tokens, and its spans state none (as the API's response).
  if (usage && usage.outputTokens === undefined && usage.inputTokens !== undefined && EMBEDDINGS.has(text(a.get('gen_ai.operation.name')) ?? '')) usage.outputTokens = 0;
  if (kind === 'agent_or_tool') return skip('agent_or_tool_span');
  if (kind === 'not_a_request') return skip('not_a_request');

  const traceId = text(span.traceId);
  const spanId = text(span.spanId);
  const responseId = text(a.get('gen_ai.response.id'));
  const sourceId = responseId ?? (traceId !== undefined && spanId !== undefined ? `${traceId}:${spanId}` : undefined);
  if (sourceId === undefined) return reject('the span has neither gen_ai.response.id nor traceId and spanId to identify it');

  const providerValue = text(a.get('gen_ai.provider.name')) ?? text(a.get('gen_ai.system'));
  const errorType = text(a.get('error.type'));
  const failed = statusCode(span.status) === 2 || errorType !== undefined;
  const start = nanosToMillis(span.startTimeUnixNano);
  const resource = attributeMap(part.resource?.attributes);
  const service = text(resource.get('service.name'));
  const finish = a.get('gen_ai.response.finish_reasons');
  const fields = settleUsage(usage, failed ? ('request_failed' satisfies PartialReason) : undefined);
  const draft: Draft = compact({
    sourceId,
    provider: providerValue === undefined ? 'unknown' : providerOf(providerValue),
    model: model ?? UNKNOWN_MODEL,
    status: failed ? 'error' : 'success',
    errorCode: failed ? (errorType ?? 'error') : undefined,
    ...fields,
    latencyMs: durationMillis(span.startTimeUnixNano, span.endTimeUnixNano),
    createdAt: start,
    endpointTag: service !== undefined && !PLACEHOLDER_SERVICE.test(service) ? service : undefined,
    metadata: meta({
      serviceName: service,
      traceId,
      spanId,
      operation: text(a.get('gen_ai.operation.name')),
      requestModel: requestModel !== undefined && requestModel !== model ? requestModel : undefined,
      stopReason: Array.isArray(finish) ? text(finish[0]) : text(finish),
      conversationId: text(a.get('gen_ai.conversation.id')),
      platform: providerValue === undefined ? undefined : GOOGLE_PLATFORMS[providerValue.trim().toLowerCase()],
      modelMissing: model === undefined ? true : undefined,
      providerMissing: providerValue === undefined ? true : undefined,
      cacheAddedToInput: usage?.cacheAdded,
      reasoningAddedToOutput: usage?.reasoningAdded,
      loggedTotalTokens: fields.partialReason === undefined ? usage?.loggedTotal : undefined,
    }),
  });
  return { kind: 'payload', draft };
}

function convert(record: SourceRecord): RecordOutcome {
  const v = record.value;
  if (v instanceof SpanInContext) return convertSpan(v);
  if (isOtlpSpan(v)) return convertSpan(new SpanInContext(undefined, undefined, v));
  if (isObject(v)) {
    if (Array.isArray(v.resourceLogs)) return reject('an OTLP logs document (resourceLogs), not traces: export the traces (resourceSpans)');
    if (Array.isArray(v.resourceMetrics)) return reject('an OTLP metrics document (resourceMetrics), not traces: export the traces (resourceSpans)');
    return reject('not an OTLP traces document ({"resourceSpans": …}) or span');
  }
  return reject(`record is ${kindOf(v)}, not an OTLP traces document or span`);
}

export const adapter: Adapter = {
  id: 'otel',
  description: 'OpenTelemetry GenAI spans as OTLP JSON (Collector file exporter, OTLP/HTTP bodies)',
  input: 'json',
  independent: true,
  fileFilter: /\.(json|jsonl|ndjson)(\.gz)?$/i,
  unpack: spanParts,
  create: stateless(guarded(convert)),
  sniff: ({ value }) => {
    if (!isObject(value)) return false;
    if (Array.isArray(value.resourceSpans)) return true;
    // A span on its own line, with GenAI attributes.
    return isOtlpSpan(value) && Array.isArray(value.attributes) && value.attributes.some((kv) => isObject(kv) && typeof kv.key === 'string' && kv.key.startsWith('gen_ai.'));
  },
};
