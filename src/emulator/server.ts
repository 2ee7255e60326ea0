/**
 * A local Opsmeter-compatible ingest server on Node's `http` (docs/emulate.md;
 * the API facts it models: docs/api-facts.md §1–3). Payloads are checked with the same contract module `validate`
 * uses (lintPayload, errors only), so the emulator and the linter cannot disagree.
 *
 * Ingest requests pass the fault checks in a fixed order:
 *   auth (401) → rate limit (429) → fail rate (503) → body size (413) → UTF-8 / JSON /
 *   payload (400) → duplicate (200 + warning, not counted) → plan limit / hard budget (402)
 *   → accepted (200, after the row is written to the store).
 * The Bearer endpoints (settings/workspace-status, test/demo cleanup) take a dashboard
 * user's token instead of the API key. What is documented, seen in official code or our
 * own convention is listed per behaviour in docs/emulate.md.
 * Every response is JSON. A request never crashes the server.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { builtinCatalog, type Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
import { lintPayload } from '../contract/lint.js';
import { mulberry32 } from '../contract/random.js';
import {
  BUDGET_MODES,
  CLEANUP_SCOPES,
  DEFAULT_EMULATOR_HOST,
  DEFAULT_EMULATOR_KEY,
  DEFAULT_EMULATOR_PORT,
  DEFAULT_EMULATOR_TOKEN,
  MAX_BODY_BYTES,
  RETRY_AFTER_MODES,
  type BudgetMode,
  type CleanupScope,
  type RetryAfterMode,
} from './constants.js';
import { asDemoRow, demoRowMaker } from './demo.js';
import { Ledger, type DataMode, type Posture, type PolicyStop } from './ledger.js';
import type { StoreRecovery } from './store.js';
import { TokenBucket, type Clock } from './rate-limit.js';

export { DEFAULT_EMULATOR_KEY, DEFAULT_EMULATOR_TOKEN, MAX_BODY_BYTES, type RetryAfterMode };

export interface EmulatorOptions {
  /** Interface to bind; default 127.0.0.1 (loopback). */
  host?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** The key clients must send as X-API-Key; default DEFAULT_EMULATOR_KEY. */
  apiKey?: string;
  /** The dashboard user's token for the Bearer endpoints; default DEFAULT_EMULATOR_TOKEN. */
  bearerToken?: string;
  /** Durable JSONL store: loaded on start, each accepted row appended before its 200. */
  store?: string;
  /** After N accepted rows, new rows get 402 plan_limit_reached. */
  planLimit?: number;
  /** Budget in USD of estimated spend (catalog prices); budgetWarning from 80 %, budgetExceeded past it. */
  budgetUsd?: number;
  /** soft (default): rows past the budget are still accepted (200, budgetExceeded); hard: 402 budget_exceeded. */
  budgetMode?: BudgetMode;
  /** Ingest requests per second (token bucket, burst = N); beyond it 429 with Retry-After. */
  rateLimit?: number;
  /** Share 0..1 of ingest requests answered 503 (reproducible with seed). */
  failRate?: number;
  /** Delay added before every response. */
  latencyMs?: number;
  /** PRNG seed for fail-rate draws and generated demo rows; random when absent (see Emulator.seed). */
  seed?: number;
  /** Default 'Free'. */
  planTier?: string;
  /** Default builtinCatalog(); prices drive the budget and the pricing-models endpoint. */
  catalog?: Catalog;
  /** How a 429 states Retry-After; default 'seconds'. */
  retryAfterMode?: RetryAfterMode;
  /** Keep accepted rows in memory for rows(); default true. A long-running CLI server turns it off. */
  keepRows?: boolean;
  /** Called once per request after its response is sent (or the client went away). */
  onRequest?: (entry: RequestLogEntry) => void;
  /** Milliseconds clock for the rate limiter (tests inject a fake one); default performance.now. */
  clock?: Clock;
}

export interface EmulatorStats {
  requests: number;
  accepted: number;
  duplicates: number;
  throttled: number;
  failed: number;
  rejected: number;
  unauthorized: number;
  paused: number;
  blocked: number;
  /** Rows removed by the test-data / demo-data cleanup endpoints. */
  deleted: number;
}

export interface Emulator {
  /** e.g. http://127.0.0.1:53123 */
  url: string;
  port: number;
  /** The seed in use (the given one, or the random one chosen), to reproduce a run. */
  seed: number;
  /** What an existing --store held at start (undefined without a store). */
  restored: StoreRecovery | undefined;
  /** Accepted rows in order (one per externalRequestId); empty when keepRows is false. */
  rows(): readonly Payload[];
  stats(): EmulatorStats;
  /** Stops accepting, closes keep-alive sockets, flushes the store; resolves when closed. */
  close(): Promise<void>;
}

export type ReplyKind =
  | 'accepted'
  | 'duplicate'
  | 'throttled'
  | 'failed'
  | 'rejected'
  | 'unauthorized'
  | 'paused'
  | 'blocked'
  | 'served'
  | 'deleted'
  | 'aborted';

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  outcome: ReplyKind;
  /** From arrival to the response being handed to the socket, latency included. */
  ms: number;
  externalRequestId?: string;
}

interface Route {
  methods: readonly string[];
  /** api-key: X-API-Key (ingest, diagnostics); bearer: a dashboard user's token (docs/api-facts.md §1). */
  auth: 'api-key' | 'bearer' | 'none';
  kind: 'ingest' | 'demo' | 'status' | 'pricing' | 'delete-test' | 'delete-demo';
}

const ROUTES = new Map<string, Route>([
  ['/v1/ingest/llm-request', { methods: ['POST'], auth: 'api-key', kind: 'ingest' }],
  ['/v1/ingest/demo', { methods: ['POST'], auth: 'api-key', kind: 'demo' }],
  ['/v1/diagnostics/workspace-status', { methods: ['GET', 'HEAD'], auth: 'api-key', kind: 'status' }],
  ['/v1/settings/workspace-status', { methods: ['GET', 'HEAD'], auth: 'bearer', kind: 'status' }],
  ['/v1/ingest/test-data', { methods: ['DELETE'], auth: 'bearer', kind: 'delete-test' }],
  ['/v1/ingest/demo-data', { methods: ['DELETE'], auth: 'bearer', kind: 'delete-demo' }],
  // "public" in the path: the real API documents no auth for the catalog.
  ['/v1/public/pricing-models', { methods: ['GET', 'HEAD'], auth: 'none', kind: 'pricing' }],
]);

const STAT_OF: Partial<Record<ReplyKind, keyof EmulatorStats>> = {
  accepted: 'accepted',
  duplicate: 'duplicates',
  throttled: 'throttled',
  failed: 'failed',
  rejected: 'rejected',
  unauthorized: 'unauthorized',
  paused: 'paused',
  blocked: 'blocked',
};

const DUPLICATE_WARNING = 'duplicate externalRequestId: not counted';
/**
 * Lint errors that are opsmeter's policy, not the API's validation: the docs only advise
 * against PII in userId and the SDKs forward any string, so the emulator accepts the row
 * and says so in `warnings` (opsmeter validate keeps them errors).
 */
const isPolicyRule = (id: string) => id.startsWith('payload/pii-');
const JSON_TYPE = 'application/json; charset=utf-8';

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const o = checkOptions(opts);
  const catalog = opts.catalog ?? builtinCatalog();
  const apiKey = Buffer.from(opts.apiKey ?? DEFAULT_EMULATOR_KEY, 'utf8');
  const bearerToken = Buffer.from(opts.bearerToken ?? DEFAULT_EMULATOR_TOKEN, 'utf8');
  const budgetMode = opts.budgetMode ?? 'soft';
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const faultRandom = mulberry32(seed);
  // A separate stream for demo rows, so demo traffic does not shift the fault sequence.
  const demoRow = demoRowMaker(catalog, mulberry32(seed ^ 0x5bd1e995));
  const planTier = opts.planTier ?? 'Free';
  const retryAfterMode = opts.retryAfterMode ?? 'seconds';
  const latencyMs = opts.latencyMs ?? 0;
  const failRate = opts.failRate ?? 0;
  const bucket = opts.rateLimit === undefined ? undefined : new TokenBucket(opts.rateLimit, opts.clock ?? (() => performance.now()));
  const workspaceId = randomUUID();
  const userLog = opts.onRequest;
  // A throwing log callback must not take the server down (it may run inside a timer).
  const onRequest = userLog
    ? (entry: RequestLogEntry) => {
        try {
          userLog(entry);
        } catch {
          /* ignored */
        }
      }
    : undefined;
  const ledger = new Ledger({ catalog, planTier, planLimit: opts.planLimit, budgetUsd: opts.budgetUsd, budgetMode, keepRows: opts.keepRows ?? true });
  let restored: StoreRecovery | undefined;
  if (opts.store !== undefined) {
    try {
      restored = await ledger.openStore(opts.store);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code && err.syscall !== 'open' ? err.code : err.message;
      throw Object.assign(new Error(err.syscall === 'open' && !err.code ? err.message : `cannot open store ${opts.store}: ${why}`), { code: err.code, syscall: 'open', path: opts.store });
    }
  }
  const pricingJson = JSON.stringify({
    date: catalog.date,
    source: catalog.source,
    models: catalog.list(),
  });

  const stats: EmulatorStats = { requests: 0, accepted: 0, duplicates: 0, throttled: 0, failed: 0, rejected: 0, unauthorized: 0, paused: 0, blocked: 0, deleted: 0 };
  const timers = new Set<NodeJS.Timeout>();

  /** Count the outcome now; send (after the configured latency) and log once sent. */
  function reply(
    req: IncomingMessage,
    res: ServerResponse,
    t0: number,
    status: number,
    outcome: ReplyKind,
    body: string,
    headers?: Record<string, string>,
    externalRequestId?: string,
  ): void {
    const stat = STAT_OF[outcome];
    if (stat) stats[stat]++;
    const send = () => {
      if (!res.destroyed && !res.headersSent) {
        res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body)), ...headers });
        res.end(body);
      }
      onRequest?.({ method: req.method ?? '?', path: pathOf(req), status, outcome, ms: performance.now() - t0, externalRequestId });
    };
    if (latencyMs > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        send();
      }, latencyMs);
      timers.add(t);
    } else {
      send();
    }
  }

  const replyJson = (req: IncomingMessage, res: ServerResponse, t0: number, status: number, outcome: ReplyKind, body: object, headers?: Record<string, string>, id?: string) =>
    reply(req, res, t0, status, outcome, JSON.stringify(body), headers, id);

  function ingestBody(posture: Posture, warnings: string[]): object {
    return {
      ok: true,
      planTier: posture.planTier,
      warnings,
      budgetWarning: posture.budgetWarning,
      budgetExceeded: posture.budgetExceeded,
      planLimitRequests: posture.planLimitRequests,
      freeLimitRemainingRequests: posture.freeLimitRemainingRequests,
      reason: null,
      telemetryPaused: posture.telemetryPaused,
      isPlanLimitReached: posture.isPlanLimitReached,
      providerCallsContinue: true,
    };
  }

  function stopBody(reason: PolicyStop, posture: Posture): object {
    const error =
      reason === 'plan_limit_reached'
        ? `Telemetry paused: plan limit of ${posture.planLimitRequests} requests reached on the ${posture.planTier} plan. LLM calls keep running; raise the plan to resume telemetry.`
        : `Budget hard stop: estimated spend $${ledger.spendUsd.toFixed(4)} is past the budget of $${opts.budgetUsd}; ingest is refused until the budget is raised. LLM calls keep running.`;
    return {
      ok: false,
      error,
      reason,
      // Only the plan limit pauses telemetry; a budget stop is the workspace's spend policy.
      telemetryPaused: reason === 'plan_limit_reached',
      providerCallsContinue: true,
      isPlanLimitReached: posture.isPlanLimitReached,
      planTier: posture.planTier,
      planLimitRequests: posture.planLimitRequests,
      freeLimitRemainingRequests: posture.freeLimitRemainingRequests,
      budgetWarning: posture.budgetWarning,
      budgetExceeded: posture.budgetExceeded,
      warnings: [],
    };
  }

  function retryAfterHeaders(waitMs: number): { headers: Record<string, string>; seconds: number } {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    if (retryAfterMode === 'none') return { headers: {}, seconds };
    if (retryAfterMode === 'http-date') {
      // An HTTP-date has whole seconds: round up so a client never retries early.
      const at = Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000;
      return { headers: { 'retry-after': new Date(at).toUTCString() }, seconds };
    }
    return { headers: { 'retry-after': String(seconds) }, seconds };
  }

  async function handleIngest(req: IncomingMessage, res: ServerResponse, t0: number, demo: boolean): Promise<void> {
    if (bucket) {
      const d = bucket.take();
      if (!d.allowed) {
        const { headers, seconds } = retryAfterHeaders(d.waitMs);
        return replyJson(req, res, t0, 429, 'throttled', { ok: false, error: `Telemetry throttled: more than ${opts.rateLimit} requests/s; retry after ${seconds}s.` }, headers);
      }
    }
    if (failRate > 0 && faultRandom() < failRate) {
      return replyJson(req, res, t0, 503, 'failed', { ok: false, error: 'service unavailable (simulated by --fail-rate)' });
    }
    const body = await readBody(req);
    if (body === 'aborted') {
      onRequest?.({ method: req.method ?? '?', path: pathOf(req), status: 0, outcome: 'aborted', ms: performance.now() - t0 });
      return;
    }
    if (body === 'too-large') {
      return replyJson(req, res, t0, 413, 'rejected', { ok: false, error: `request body is larger than ${MAX_BODY_BYTES} bytes; send one payload per request` });
    }
    // Decoding invalid UTF-8 with replacement characters could make two different ids equal.
    if (!isUtf8(body)) {
      return replyErrors(req, res, t0, [{ pointer: '', message: 'the body is not valid UTF-8', rule: 'json/encoding' }]);
    }
    let text = body.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let value: unknown;
    if (text.trim() === '') {
      if (!demo) return replyErrors(req, res, t0, [{ pointer: '', message: 'empty body: send one payload as a JSON object', rule: 'payload/not-object' }]);
      value = demoRow(Date.now());
    } else {
      try {
        value = JSON.parse(text);
      } catch (e) {
        return replyErrors(req, res, t0, [{ pointer: '', message: `invalid JSON: ${(e as Error).message}`, rule: 'json/syntax' }]);
      }
      if (demo) value = asDemoRow(value);
    }
    const errors = [];
    const warnings: string[] = [];
    for (const f of lintPayload(value, { catalog, now: Date.now(), errorsOnly: true })) {
      if (isPolicyRule(f.rule.id)) warnings.push(`${f.message} (accepted; opsmeter validate reports ${f.rule.id})`);
      else errors.push({ pointer: f.pointer, message: f.message, rule: f.rule.id, ...(f.hint ? { hint: f.hint } : {}) });
    }
    if (errors.length > 0) return replyErrors(req, res, t0, errors);

    const payload = value as Payload;
    const id = payload.externalRequestId;
    if (ledger.isDuplicate(payload)) {
      // The original may still be on its way to the store: "already stored" must be true.
      await ledger.flushed();
      return replyJson(req, res, t0, 200, 'duplicate', ingestBody(ledger.posture(), [DUPLICATE_WARNING, ...warnings]), undefined, id);
    }
    const storeFailure = ledger.storeFailure;
    if (storeFailure) {
      // Accepting a row the store cannot hold would lose it: refuse instead (a 5xx is retried).
      return replyJson(req, res, t0, 500, 'failed', { ok: false, error: `emulator cannot write its store: ${storeFailure.message}` });
    }
    const stop = ledger.stopReason();
    if (stop) {
      return replyJson(req, res, t0, 402, stop === 'plan_limit_reached' ? 'paused' : 'blocked', stopBody(stop, ledger.posture()), undefined, id);
    }
    const posture = ledgerAccept(payload);
    try {
      await posture.written;
    } catch (e) {
      return replyJson(req, res, t0, 500, 'failed', { ok: false, error: `emulator cannot write its store: ${(e as Error).message}` });
    }
    replyJson(req, res, t0, 200, 'accepted', ingestBody(posture.after, warnings), undefined, id);
  }

  /** Count the row now (so the next request sees it) and report the posture right after it. */
  function ledgerAccept(payload: Payload): { after: Posture; written: Promise<void> } {
    const written = ledger.accept(payload);
    return { after: ledger.posture(), written };
  }

  async function handleDelete(req: IncomingMessage, res: ServerResponse, t0: number, mode: DataMode): Promise<void> {
    const scope = new URLSearchParams(queryOf(req)).get('scope') ?? 'mine';
    if (!(CLEANUP_SCOPES as readonly string[]).includes(scope)) {
      return replyJson(req, res, t0, 400, 'rejected', { ok: false, error: `scope must be ${CLEANUP_SCOPES.join(' or ')}, got "${scope}"` });
    }
    // One dashboard user, the workspace's owner, sent every row: "mine" and "workspace" match the same rows.
    const deleted = await ledger.deleteMode(mode);
    stats.deleted += deleted;
    replyJson(req, res, t0, 200, 'deleted', { ok: true, dataMode: mode, scope: scope as CleanupScope, deleted });
  }

  function replyErrors(req: IncomingMessage, res: ServerResponse, t0: number, errors: Array<{ pointer: string; message: string; rule: string; hint?: string }>): void {
    const first = errors[0]!;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    const summary = first.rule === 'json/syntax' ? first.message : `invalid payload: ${first.pointer ? first.pointer + ': ' : ''}${first.message}${more}`;
    replyJson(req, res, t0, 400, 'rejected', { ok: false, error: summary, errors });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    stats.requests++;
    const path = pathOf(req);
    const route = ROUTES.get(path);
    if (!route) return replyJson(req, res, t0, 404, 'rejected', { ok: false, error: `no such endpoint: ${path}` });
    if (!route.methods.includes(req.method ?? '')) {
      return replyJson(req, res, t0, 405, 'rejected', { ok: false, error: `${req.method} is not allowed on ${path}; use ${route.methods[0]}` }, { allow: route.methods.join(', ') });
    }
    if (route.auth === 'api-key') {
      const given = req.headers['x-api-key'];
      if (typeof given !== 'string' || given === '') {
        return replyJson(req, res, t0, 401, 'unauthorized', { ok: false, error: 'missing X-API-Key header' });
      }
      if (!sameSecret(given, apiKey)) {
        return replyJson(req, res, t0, 401, 'unauthorized', { ok: false, error: 'invalid API key' });
      }
    } else if (route.auth === 'bearer') {
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
      if (!m) {
        const error = req.headers['x-api-key'] !== undefined
          ? `${path} takes a dashboard user's token (Authorization: Bearer …), not the workspace API key`
          : 'missing Authorization: Bearer header';
        return replyJson(req, res, t0, 401, 'unauthorized', { ok: false, error }, { 'www-authenticate': 'Bearer' });
      }
      if (!sameSecret(m[1]!, bearerToken)) {
        return replyJson(req, res, t0, 401, 'unauthorized', { ok: false, error: 'invalid token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
    }
    switch (route.kind) {
      case 'ingest':
        return handleIngest(req, res, t0, false);
      case 'demo':
        return handleIngest(req, res, t0, true);
      case 'status':
        return replyJson(req, res, t0, 200, 'served', ledger.workspaceStatus(workspaceId, Date.now()));
      case 'pricing':
        return reply(req, res, t0, 200, 'served', pricingJson);
      case 'delete-test':
        return handleDelete(req, res, t0, 'test');
      case 'delete-demo':
        return handleDelete(req, res, t0, 'demo');
    }
  }

  const server = createServer({ keepAlive: true }, (req, res) => {
    res.on('error', () => {}); // a client that went away must not crash the server
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        const body = JSON.stringify({ ok: false, error: `internal emulator error: ${(e as Error)?.message ?? String(e)}` });
        res.writeHead(500, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      }
    });
  });
  // A slow or stalled body is cut off instead of holding a socket forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Garbage bytes, oversized headers, timeouts: answer if the socket can still take it.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, text] =
      err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
    const body = JSON.stringify({ ok: false, error: `malformed HTTP request (${err.code ?? 'parse error'})` });
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: o.host, port: o.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await ledger.close().catch(() => {});
    throw e;
  }

  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${addr.port}`,
    port: addr.port,
    seed,
    restored,
    rows: () => ledger.rows(),
    stats: () => ({ ...stats }),
    close: () =>
      (closing ??= (async () => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await ledger.close();
      })()),
  };
}

function sameSecret(given: string, expected: Buffer): boolean {
  const g = Buffer.from(given, 'utf8');
  return g.length === expected.length && timingSafeEqual(g, expected);
}

function queryOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The request body, capped at MAX_BODY_BYTES; the rest of an oversized body is drained and dropped. */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  // Unread, Node drains the body itself after the response; keep-alive survives.
  if (declared > MAX_BODY_BYTES) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: Buffer | 'too-large' | 'aborted') => {
      if (!done) {
        done = true;
        resolve(r);
      }
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        finish('too-large');
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => finish(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', () => finish('aborted'));
    req.on('close', () => {
      if (!req.complete) finish('aborted');
    });
  });
}

interface CheckedOptions {
  host: string;
  port: number;
}

/** Programmatic callers get the same checks as the CLI's flags (which produce nicer messages). */
function checkOptions(o: EmulatorOptions): CheckedOptions {
  const port = o.port ?? DEFAULT_EMULATOR_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer 0–65535, got ${port}`);
  const need = (name: string, v: number | undefined, ok: (x: number) => boolean, what: string) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))) throw new RangeError(`${name} must be ${what}, got ${v}`);
  };
  need('planLimit', o.planLimit, (x) => Number.isSafeInteger(x) && x >= 0, 'a whole number ≥ 0');
  need('budgetUsd', o.budgetUsd, (x) => x >= 0, 'a number ≥ 0');
  need('rateLimit', o.rateLimit, (x) => x > 0, 'a number > 0');
  need('failRate', o.failRate, (x) => x >= 0 && x <= 1, 'between 0 and 1');
  need('latencyMs', o.latencyMs, (x) => x >= 0 && x <= 2_147_483_647, 'a number of milliseconds ≥ 0');
  need('seed', o.seed, (x) => Number.isSafeInteger(x), 'a whole number');
  if (o.apiKey !== undefined && (typeof o.apiKey !== 'string' || o.apiKey === '')) throw new TypeError('apiKey must be a non-empty string');
  if (o.bearerToken !== undefined && (typeof o.bearerToken !== 'string' || !/^\S+$/.test(o.bearerToken))) throw new TypeError('bearerToken must be a non-empty string without spaces');
  if (o.budgetMode !== undefined && !BUDGET_MODES.includes(o.budgetMode)) {
    throw new RangeError(`budgetMode must be one of ${BUDGET_MODES.join(', ')}, got ${String(o.budgetMode)}`);
  }
  if (o.retryAfterMode !== undefined && !RETRY_AFTER_MODES.includes(o.retryAfterMode)) {
    throw new RangeError(`retryAfterMode must be one of ${RETRY_AFTER_MODES.join(', ')}, got ${String(o.retryAfterMode)}`);
  }
  return { host: o.host ?? DEFAULT_EMULATOR_HOST, port };
}
