/**
 * The HTTP client for the Opsmeter API: one keep-alive undici dispatcher per run (a Pool
 * to the target, or an EnvHttpProxyAgent when HTTPS_PROXY/HTTP_PROXY are set — it honours
 * NO_PROXY), and one call that sends one request and returns what happened as data.
 * Network failures and timeouts are returned, never thrown, so the classifier sees every
 * case in one place.
 *
 * `timeoutMs` bounds the whole exchange — connect, headers and body — with one deadline per
 * request: undici's own timeouts measure gaps, and a server that drips its body a byte at a
 * time never leaves a gap long enough (docs/send.md "What counts as delivered"). The exchange
 * is driven through undici's dispatch handler, which also tells how far it got when it
 * failed: still connecting (nothing can have reached the server), sent, or answering.
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
  /** undici / Node error code, e.g. ECONNREFUSED, UND_ERR_SOCKET; EXCHANGE_TIMEOUT when the deadline passed. */
  code: string;
  message: string;
  /** True when the request cannot have reached the server (nothing could have been stored). */
  notDelivered: boolean;
  elapsedMs: number;
}

export type Exchange = HttpResponse | NetworkFailure;

/** The code of a failure whose exchange outlasted `timeoutMs` (connect, headers and body together). */
export const EXCHANGE_TIMEOUT = 'EXCHANGE_TIMEOUT';

export interface ClientOptions {
  target: Target;
  apiKey?: string;
  /** A dashboard user's token, sent as `Authorization: Bearer` (the settings and cleanup endpoints). */
  bearerToken?: string;
  /** The whole exchange's deadline in ms: connecting, sending, the headers and the whole body. */
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
  const bodyless = withoutContentType(headers);
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

  function call(method: 'GET' | 'POST' | 'DELETE', path: string, body: string | undefined): Promise<Exchange> {
    return new Promise<Exchange>((resolve) => {
      const exchange = new ExchangeHandler(resolve, timeout, redact);
      try {
        dispatcher.dispatch(
          { origin: base.origin, path: pathOf(path), method, headers: body === undefined ? bodyless : headers, body, headersTimeout: timeout, bodyTimeout: timeout },
          exchange,
        );
      } catch (e) {
        exchange.onResponseError(undefined, e as Error);
      }
    });
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

/** How far an exchange got: what a failure at that point can and cannot mean. */
type Stage = 'connecting' | 'sent' | 'answering';

/**
 * One request's exchange, as undici's dispatch handler: it collects the answer (at most
 * MAX_BODY_BYTES of its body), and settles once — with the answer, with the failure, or at the
 * deadline, whichever comes first. A request the deadline caught before it was sent is
 * aborted as soon as undici gets to it, so a request reported as not delivered never is.
 */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private controller: Dispatcher.DispatchController | undefined;
  private stage: Stage = 'connecting';
  private settled = false;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private readonly parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly resolve: (x: Exchange) => void,
    private readonly timeoutMs: number,
    private readonly redact: (text: string) => string,
  ) {
    this.timer = setTimeout(() => this.deadline(), timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.settled) {
      controller.abort(new Error('the exchange outlived its deadline before it was sent'));
      return;
    }
    this.controller = controller;
    this.stage = 'sent';
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[]>): void {
    if (statusCode < 200) return; // 1xx: the answer is still to come
    this.status = statusCode;
    this.headers = headers;
    this.stage = 'answering';
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.size < MAX_BODY_BYTES) this.parts.push(this.size + chunk.length > MAX_BODY_BYTES ? chunk.subarray(0, MAX_BODY_BYTES - this.size) : chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    if (!this.settle()) return;
    const parts = this.parts;
    const text = parts.length === 0 ? '' : parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
    // A server that echoes the key back must not make us print it.
    this.resolve({ kind: 'response', status: this.status, headers: this.headers, body: this.redact(text), elapsedMs: performance.now() - this.started });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (!this.settle()) return;
    this.resolve(describeFailure(error, this.stage, this.status, this.size, this.timeoutMs, performance.now() - this.started));
  }

  private deadline(): void {
    if (!this.settle()) return;
    const elapsedMs = performance.now() - this.started;
    const failure: NetworkFailure =
      this.stage === 'connecting'
        ? { kind: 'network', code: EXCHANGE_TIMEOUT, message: `could not connect within ${this.timeoutMs} ms`, notDelivered: true, elapsedMs }
        : {
            kind: 'network',
            code: EXCHANGE_TIMEOUT,
            message:
              this.stage === 'sent'
                ? `no response within ${this.timeoutMs} ms`
                : `no complete answer within ${this.timeoutMs} ms: HTTP ${this.status} arrived, then only ${this.size} bytes of its body (a server dripping its answer?)`,
            notDelivered: false,
            elapsedMs,
          };
    this.controller?.abort(new Error(failure.message));
    this.resolve(failure);
  }

  /** True the first time: the exchange ends here. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    return true;
  }
}

/** Codes that mean the request never left this machine or never reached a server. */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'SELF_SIGNED_CERT_IN_CHAIN']);

function describeFailure(e: unknown, stage: Stage, status: number, bodyBytes: number, timeoutMs: number, elapsedMs: number): NetworkFailure {
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
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      message =
        stage === 'answering'
          ? `the connection closed in the middle of the answer: HTTP ${status} arrived, then ${bodyBytes} bytes of its body`
          : 'the connection was closed by the server before a response';
      break;
    default:
      message = err?.message ?? String(e);
  }
  // A request still connecting cannot have reached the server, whatever the error.
  return { kind: 'network', code, message, notDelivered: stage === 'connecting' || NOT_DELIVERED.has(code), elapsedMs };
}
