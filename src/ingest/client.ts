/**
 * The HTTP client for the Opsmeter API: one keep-alive undici dispatcher per run (a Pool
 * to the target, or an EnvHttpProxyAgent when HTTPS_PROXY/HTTP_PROXY are set — it honours
 * NO_PROXY), a per-request timeout, and one call that sends one request and returns what
 * happened as data. Network failures and timeouts are returned, never thrown, so the
 * classifier sees every case in one place.
 */
import { EnvHttpProxyAgent, Pool, type Dispatcher } from 'undici';
import { EXIT, OpsmeterError } from '../errors.js';
import { VERSION } from '../version.js';
import { endpointUrl, redactKey, type Target } from './config.js';

/** Response bodies are read up to this size; the rest is dropped (we only need the verdict). */
const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpResponse {
  kind: 'response';
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (at most 1 MB), with the API key replaced by *** wherever it appears. */
  body: string;
  elapsedMs: number;
}

export interface NetworkFailure {
  kind: 'network';
  /** undici / Node error code, e.g. ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT. */
  code: string;
  message: string;
  /** True when the request cannot have reached the server (nothing could have been stored). */
  notDelivered: boolean;
  elapsedMs: number;
}

export type Exchange = HttpResponse | NetworkFailure;

export interface ClientOptions {
  target: Target;
  apiKey?: string;
  /** A dashboard user's token, sent as `Authorization: Bearer` (the settings and cleanup endpoints). */
  bearerToken?: string;
  /** Per-request timeout in ms: connect, first byte of the response, and gaps in the body. */
  timeoutMs: number;
  /** Connections kept to the target (the sender's concurrency). */
  connections: number;
  env?: NodeJS.ProcessEnv;
}

export interface ApiClient {
  /** POST a JSON body (already serialised) to an endpoint path, e.g. /v1/ingest/llm-request. */
  post(path: string, json: string): Promise<Exchange>;
  get(path: string): Promise<Exchange>;
  /** DELETE an endpoint path (may carry a query string, e.g. ?scope=mine). */
  delete(path: string): Promise<Exchange>;
  /** The absolute URL of a path, for messages. */
  url(path: string): string;
  close(): Promise<void>;
}

/**
 * The proxies the environment asks for, checked: a value that is not an http(s) URL is a
 * usage error naming the variable (undici would throw "Invalid URL" from deep inside).
 * The value itself is not echoed: a proxy URL may carry a password.
 */
function proxiesFrom(env: NodeJS.ProcessEnv): { httpProxy?: string; httpsProxy?: string; noProxy?: string } | undefined {
  const pick = (lower: string, upper: string): string | undefined => {
    const name = env[lower] ? lower : env[upper] ? upper : undefined;
    if (name === undefined) return undefined;
    const value = env[name]!;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      throw new OpsmeterError(`${name} is not a proxy URL (expected http://host:port or https://host:port)`, EXIT.usage, `fix or unset ${name}`);
    }
    return value;
  };
  const httpProxy = pick('http_proxy', 'HTTP_PROXY');
  const httpsProxy = pick('https_proxy', 'HTTPS_PROXY');
  if (httpProxy === undefined && httpsProxy === undefined) return undefined;
  return { httpProxy, httpsProxy, noProxy: env.no_proxy ?? env.NO_PROXY };
}

export function createClient(opts: ClientOptions): ApiClient {
  const env = opts.env ?? process.env;
  const base = opts.target.baseUrl;
  const timeout = opts.timeoutMs;
  const common = {
    connections: opts.connections,
    keepAliveTimeout: 30_000,
    connect: { timeout },
    headersTimeout: timeout,
    bodyTimeout: timeout,
  };
  // A local emulator is never reached through a proxy; elsewhere the environment decides.
  const proxies = opts.target.loopback ? undefined : proxiesFrom(env);
  const dispatcher: Dispatcher = proxies ? new EnvHttpProxyAgent({ ...common, ...proxies }) : new Pool(base.origin, common);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': `opsmeter-cli/${VERSION}`,
  };
  if (opts.apiKey !== undefined) headers['x-api-key'] = opts.apiKey;
  if (opts.bearerToken !== undefined) headers.authorization = `Bearer ${opts.bearerToken}`;
  // Neither secret may reach what we print, whichever a server echoes back.
  const redact = (text: string) => redactKey(redactKey(text, opts.apiKey), opts.bearerToken);
  const paths = new Map<string, string>();
  const pathOf = (p: string) => {
    let full = paths.get(p);
    if (full === undefined) {
      const q = p.indexOf('?');
      full = q < 0 ? endpointUrl(opts.target, p).pathname : endpointUrl(opts.target, p.slice(0, q)).pathname + p.slice(q);
      paths.set(p, full);
    }
    return full;
  };

  async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body: string | undefined): Promise<Exchange> {
    const started = performance.now();
    try {
      const res = await dispatcher.request({
        origin: base.origin,
        path: pathOf(path),
        method,
        headers: body === undefined ? withoutContentType(headers) : headers,
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      // A server that echoes the key back must not make us print it.
      const text = redact(await readCapped(res));
      return { kind: 'response', status: res.statusCode, headers: res.headers, body: text, elapsedMs: performance.now() - started };
    } catch (e) {
      return describeFailure(e, timeout, performance.now() - started);
    }
  }

  return {
    post: (path, json) => call('POST', path, json),
    get: (path) => call('GET', path, undefined),
    delete: (path) => call('DELETE', path, undefined),
    url: (path) => {
      const q = path.indexOf('?');
      return q < 0 ? endpointUrl(opts.target, path).href : endpointUrl(opts.target, path.slice(0, q)).href + path.slice(q);
    },
    close: async () => {
      // destroy() rather than close(): requests still queued after a stop must not linger.
      await dispatcher.destroy().catch(() => {});
    },
  };
}

function withoutContentType(h: Record<string, string>): Record<string, string> {
  const { 'content-type': _ignored, ...rest } = h;
  return rest;
}

async function readCapped(res: Dispatcher.ResponseData): Promise<string> {
  const length = Number(res.headers['content-length']);
  // The common case — a small body of known size — takes undici's fast path.
  if (Number.isFinite(length) && length <= MAX_BODY_BYTES) return res.body.text();
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    if (size < MAX_BODY_BYTES) parts.push(size + b.length > MAX_BODY_BYTES ? b.subarray(0, MAX_BODY_BYTES - size) : b);
    size += b.length;
  }
  return parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** Codes that mean the request never left this machine or never reached a server. */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'SELF_SIGNED_CERT_IN_CHAIN']);

function describeFailure(e: unknown, timeoutMs: number, elapsedMs: number): NetworkFailure {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err?.code ?? err?.cause?.code ?? 'ERR_UNKNOWN';
  let message: string;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      message = `no response within ${timeoutMs} ms`;
      break;
    case 'UND_ERR_BODY_TIMEOUT':
      message = `the response body stalled for ${timeoutMs} ms`;
      break;
    case 'UND_ERR_CONNECT_TIMEOUT':
      message = `could not connect within ${timeoutMs} ms`;
      break;
    case 'ECONNREFUSED':
      message = 'connection refused (is the server running on that port?)';
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      message = 'the host name could not be resolved (DNS)';
      break;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      message = 'the connection was closed by the server before a response';
      break;
    default:
      message = err?.message ?? String(e);
  }
  return { kind: 'network', code, message, notDelivered: NOT_DELIVERED.has(code), elapsedMs };
}
