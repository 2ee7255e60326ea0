/**
 * What an OpenAI (or Azure OpenAI) response body says about one request: Chat Completions,
 * legacy Completions, Responses and Embeddings objects (docs/import-formats.md, `openai-log` and `openai-batch`).
 * Shared by the openai-batch and openai-log adapters.
 *
 * Token semantics (docs/import-formats.md, "Input tokens"): prompt_tokens / input_tokens already include the cached subset
 * (`cached_tokens`) and the cache-write subset; reasoning_tokens are inside the output.
 * Breakdowns are reported, never added again.
 */
import { count, epochSeconds, isObject, optionalObject, text, type Json, type Usage } from './source-fields.js';

export interface OpenAIBodyFacts {
  model?: string;
  /** `created` (chat) or `created_at` (responses), unix seconds. */
  createdAt?: number;
  /** Undefined when the body carries no usage (absent, null or empty). */
  usage?: Usage;
  responseId?: string;
  stopReason?: string;
  serviceTier?: string;
  /** The end-user id the caller attached (`safety_identifier`, or the older `user`). */
  userId?: string;
  /** Set when the body itself says the request failed. */
  failure?: { code: string };
  /** A Responses object that has not finished yet (`queued` / `in_progress`). */
  unfinished: boolean;
  /** Azure OpenAI content-filter annotations are present. */
  azure: boolean;
  /** The OpenAI-compatible vendor the body itself names (vendorOf), if any. */
  vendor?: string;
}

/**
 * OpenAI-compatible vendors answer in OpenAI's shape; what tells them apart is evidence
 * in the body, never a guess (docs/import-formats.md#openai-compatible-vendors):
 * a field only that vendor writes, or a model family only that vendor serves.
 * Catalog provider ids; undefined = nothing says it is not OpenAI.
 */
const VENDOR_MODELS: readonly [RegExp, string][] = [
  [/^(?:mistral|open-mistral|open-mixtral|codestral|pixtral|ministral|magistral|devstral|voxtral)-/i, 'mistral'],
  [/^deepseek-(?:chat|reasoner|coder)/i, 'deepseek'],
  [/^grok-/i, 'xai'],
];

export function vendorOf(body: Json, model: string | undefined): string | undefined {
  if (isObject(body.x_groq)) return 'groq'; // Groq's own field on every completion and chunk
  const usage = isObject(body.usage) ? body.usage : undefined;
  if (usage && 'prompt_cache_hit_tokens' in usage) return 'deepseek'; // DeepSeek's cache counts
  if (typeof body.id === 'string' && body.id.startsWith('gen-') && typeof body.provider === 'string') return 'openrouter';
  if (isTogether(body)) return 'together';
  return model === undefined ? undefined : vendorOfModel(model);
}

/**
 * Together AI's own fields: a completion echoes its prompt's tokens in a top-level `prompt`
 * array, and each choice states its `seed`; a stream chunk's delta names its `token_id`.
 */
function isTogether(body: Json): boolean {
  if (Array.isArray(body.prompt) && body.object === 'chat.completion') return true;
  const first: unknown = Array.isArray(body.choices) ? body.choices[0] : undefined;
  return isObject(first) && ('seed' in first || (isObject(first.delta) && 'token_id' in first.delta));
}

/** The last model asked about and its vendor: a file's lines nearly all name the same model, and the rules are regexes. */
let lastModel: string | undefined;
let lastVendor: string | undefined;

function vendorOfModel(model: string): string | undefined {
  if (model === lastModel) return lastVendor;
  lastModel = model;
  lastVendor = undefined;
  for (const [re, vendor] of VENDOR_MODELS) {
    if (re.test(model)) {
      lastVendor = vendor;
      break;
    }
  }
  return lastVendor;
}

/**
 * Source paths for messages, built once per prefix rather than per record: they are only
 * read when a value is malformed, and a million records would otherwise build millions.
 */
function memo<T>(make: (at: string) => T): (at: string) => T {
  const cache = new Map<string, T>();
  return (at) => {
    let v = cache.get(at);
    if (v === undefined) {
      v = make(at);
      if (cache.size < 64) cache.set(at, v);
    }
    return v;
  };
}

const bodyPaths = memo((at: string) => {
  const path = (key: string) => (at ? `${at}.${key}` : key);
  return { usage: path('usage'), groqUsage: path('x_groq.usage'), created: path('created'), createdAt: path('created_at') };
});

/** `at` is the body's path in the record ("" when the record is the body itself). */
export function readOpenAIBody(body: Json, at: string): OpenAIBodyFacts {
  const paths = bodyPaths(at);
  const isResponses = body.object === 'response';
  const isEmbedding = body.object === 'list' && Array.isArray(body.data);
  const choices = Array.isArray(body.choices) ? body.choices : undefined;
  const filterResults = Array.isArray(body.prompt_filter_results) ? body.prompt_filter_results : undefined;
  let firstChoice: Json | undefined;
  let azure = filterResults !== undefined;
  if (choices) {
    for (let i = 0; i < choices.length; i++) {
      const c: unknown = choices[i];
      if (!isObject(c)) continue;
      firstChoice ??= c;
      if ('content_filter_results' in c) azure = true;
    }
  }
  // Groq's streams state the stream's usage on its last chunk under x_groq.usage, not usage.
  const usage =
    (body.usage === undefined || body.usage === null) && isObject(body.x_groq) && body.x_groq.usage != null
      ? readOpenAIUsage(body.x_groq.usage, paths.groqUsage)
      : readOpenAIUsage(body.usage, paths.usage, isEmbedding);

  const facts: OpenAIBodyFacts = {
    model: text(body.model),
    createdAt: epochSeconds(isResponses ? body.created_at : body.created, isResponses ? paths.createdAt : paths.created),
    usage,
    responseId: text(body.id),
    serviceTier: text(body.service_tier),
    userId: text(body.safety_identifier) ?? text(body.user),
    unfinished: false,
    azure,
  };
  if (!azure) facts.vendor = vendorOf(body, facts.model);

  if (isResponses) {
    const status = text(body.status);
    const error = isObject(body.error) ? body.error : undefined;
    const incomplete = isObject(body.incomplete_details) ? body.incomplete_details : undefined;
    if (status === 'failed') facts.failure = { code: text(error?.code) ?? 'failed' };
    else if (status === 'cancelled') facts.failure = { code: 'cancelled' };
    else if (status === 'queued' || status === 'in_progress') facts.unfinished = true;
    facts.stopReason = status === 'incomplete' ? (text(incomplete?.reason) ?? 'incomplete') : undefined;
  } else {
    facts.stopReason = text(firstChoice?.finish_reason);
    if (isObject(body.error)) facts.failure = { code: text(body.error.code) ?? text(body.error.type) ?? 'error' };
    else if (choices && choices.length === 0 && !usage && filterResults?.some(isFiltered)) {
      // Azure: a prompt blocked by the content filter comes back as a 200 with no choices
      // and no usage (Azure) — the request did not produce a completion.
      facts.failure = { code: 'content_filter' };
    }
  }
  return facts;
}

/** Read a `usage` object in either the Chat (`prompt_tokens`) or the Responses (`input_tokens`) shape. */
function readOpenAIUsage(u: unknown, at: string, embedding = false): Usage | undefined {
  const usage = optionalObject(u, at);
  if (!usage) return undefined;
  const chat = 'prompt_tokens' in usage || 'completion_tokens' in usage;
  const k = chat ? CHAT_KEYS : RESPONSES_KEYS;
  const paths = usagePaths(at)[chat ? 0 : 1];
  const inputTokens = count(usage[k.input], paths.input);
  let outputTokens = count(usage[k.output], paths.output);
  // An embeddings response states no completion count because it generates no tokens.
  if (outputTokens === undefined && embedding && inputTokens !== undefined) outputTokens = 0;
  const totalTokens = count(usage.total_tokens, paths.total);
  if (inputTokens === undefined && outputTokens === undefined && totalTokens === undefined) return undefined;
  // Details may be absent or null (OpenAI-compatible servers): the breakdown is then unknown, not 0.
  const inDetails = optionalObject(usage[k.inDetails], paths.inDetails);
  const outDetails = optionalObject(usage[k.outDetails], paths.outDetails);
  return {
    inputTokens,
    outputTokens,
    totalTokens,
    cachedInputTokens: count(inDetails?.cached_tokens, paths.cached),
    cacheWriteTokens: count(inDetails?.cache_write_tokens, paths.cacheWrite),
    reasoningTokens: count(outDetails?.reasoning_tokens, paths.reasoning),
  };
}

/** Usage keys of Chat Completions (`prompt_tokens`) and of Responses (`input_tokens`). */
const CHAT_KEYS = { input: 'prompt_tokens', output: 'completion_tokens', inDetails: 'prompt_tokens_details', outDetails: 'completion_tokens_details' };
const RESPONSES_KEYS = { input: 'input_tokens', output: 'output_tokens', inDetails: 'input_tokens_details', outDetails: 'output_tokens_details' };

const usagePaths = memo((at: string) =>
  [CHAT_KEYS, RESPONSES_KEYS].map((k) => ({
    input: `${at}.${k.input}`,
    output: `${at}.${k.output}`,
    total: `${at}.total_tokens`,
    inDetails: `${at}.${k.inDetails}`,
    outDetails: `${at}.${k.outDetails}`,
    cached: `${at}.${k.inDetails}.cached_tokens`,
    cacheWrite: `${at}.${k.inDetails}.cache_write_tokens`,
    reasoning: `${at}.${k.outDetails}.reasoning_tokens`,
  })) as [UsagePaths, UsagePaths],
);

interface UsagePaths {
  input: string;
  output: string;
  total: string;
  inDetails: string;
  outDetails: string;
  cached: string;
  cacheWrite: string;
  reasoning: string;
}

function isFiltered(r: unknown): boolean {
  if (!isObject(r)) return false;
  // Azure spells it content_filter_results in chat responses and content_filter_result in batch output.
  const categories = r.content_filter_results ?? r.content_filter_result;
  return isObject(categories) && Object.values(categories).some((c) => isObject(c) && c.filtered === true);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Azure request ids are UUIDs; OpenAI's are 32 hex digits (docs/import-formats.md `openai-batch`). */
export function isAzureRequestId(id: string | undefined): boolean {
  // The length first: OpenAI's 32-digit ids, on every line of a batch file, skip the regex.
  return id !== undefined && id.length === 36 && UUID.test(id);
}
