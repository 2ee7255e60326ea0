/**
 * A local Opsmeter-compatible ingest server on Node's `http` (docs/emulate.md; the API facts
 * it models: docs/api-facts.md §1–3): the HTTP shell around the fault decision. Here: the
 * server, routing, the key and token checks, reading a body (capped), the durable store, the
 * configured latency and the request log. What each request is answered — the fault checks in
 * their order, the payload checks (the same contract module `validate` uses, so the emulator and
 * the linter cannot disagree), the plan and budget — is decided in decide.ts from the state in
 * state.ts, without sockets or files. Every ingest body that is read is linted as validate lints
 * a record (check-body.ts); the findings go to the request log (request-log.ts). The admin API
 * under /_emulator/ (admin.ts) is the emulator's own.
 *
 * The Bearer endpoints (settings/workspace-status, test/demo cleanup) take a dashboard
 * user's token instead of the API key. Every response is JSON. A request never crashes the server.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { builtinCatalog, type Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
import { rulePolicy, type RuleSettings, type RulePolicy } from '../contract/rule-settings.js';
import { loadLocator } from '../read/locate.js';
import { ADMIN_PREFIX, serveAdmin, type AdminEvent, type AdminHost } from './admin.js';
import type { RequestFinding } from './check-body.js';
import {
  DEFAULT_EMULATOR_HOST,
  DEFAULT_EMULATOR_KEY,
  DEFAULT_EMULATOR_PORT,
  DEFAULT_EMULATOR_TOKEN,
  MAX_BODY_BYTES,
  type BudgetMode,
  type RetryAfterMode,
} from './constants.js';
import { admit, deleteRows, judge, jsonReply, unstored, type Decision, type Reply } from './decide.js';
import { applyFaultPatch, faultSettings, type FaultPatch, type FaultSettings } from './faults.js';
import { modeOf, type DataMode, type Ledger } from './ledger.js';
import type { Clock } from './rate-limit.js';
import { DEFAULT_REQUESTS_KEPT, type RequestRecord } from './request-log.js';
import { EmulatorState, type EmulatorStats, type ReplyKind } from './state.js';
import { printable } from './printable.js';
import { RowStore, type StoreRecovery } from './store.js';

export { DEFAULT_EMULATOR_KEY, DEFAULT_EMULATOR_TOKEN, MAX_BODY_BYTES, type AdminEvent, type EmulatorStats, type FaultPatch, type FaultSettings, type ReplyKind, type RequestFinding, type RequestRecord, type RetryAfterMode };

/** The record of one request (request-log.ts), as `onRequest` gets it. */
export type RequestLogEntry = RequestRecord;

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
  /** false: the store is a scratch file (the CLI's without --store): rows are written in batches, not each before its 200. Default true. */
  storeDurable?: boolean;
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
  /**
   * The team's rule settings (opsmeter.config.json, --rule) for the findings in the request log;
   * they never change an answer (the emulator models the server).
   */
  rules?: RuleSettings | RulePolicy;
  /** Request records kept for requests() and GET /_emulator/requests; default 10,000 (the oldest go first). */
  requestsKept?: number;
  /** Called once per request after its response is sent (or the client went away, or the server closed first). */
  onRequest?: (entry: RequestLogEntry) => void;
  /** Called after an admin call changed something (a reset, a fault change). */
  onAdmin?: (event: AdminEvent) => void;
  /** Milliseconds clock for the rate limiter (tests inject a fake one); default performance.now. */
  clock?: Clock;
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
  /** The request log: the kept records numbered above `since` (default 0), in order of arrival. */
  requests(since?: number): RequestRecord[];
  /** Forget rows (the store's too), counters, limits' state and the request log; the faults stay. */
  reset(): Promise<{ rows: number; requests: number }>;
  /** Change fault settings; the next request sees them. Throws a RangeError or TypeError for a bad value (nothing changes). */
  setFaults(patch: FaultPatch): FaultSettings;
  /** The fault settings in force. */
  faults(): FaultSettings;
  /** Stops accepting, closes keep-alive sockets, flushes the store; resolves when closed. */
  close(): Promise<void>;
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

const JSON_TYPE = 'application/json; charset=utf-8';

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const { host, port } = checkOptions(opts);
  const catalog = opts.catalog ?? builtinCatalog();
  const state = new EmulatorState({
    faults: faultSettings(opts),
    catalog,
    seed: opts.seed ?? Math.floor(Math.random() * 2 ** 31),
    clock: opts.clock ?? (() => performance.now()),
    keepRows: opts.keepRows ?? true,
    rules: opts.rules === undefined ? undefined : rulePolicy(opts.rules),
    requestsKept: opts.requestsKept ?? DEFAULT_REQUESTS_KEPT,
  });
  // Findings are located in the body (line, column), and syntax faults explained, with jsonc-parser.
  await loadLocator();
  const durable = opts.store === undefined ? undefined : await openStore(opts.store, state.ledger, opts.storeDurable ?? true);
  const shell = new HttpShell(state, durable?.store, {
    apiKey: Buffer.from(opts.apiKey ?? DEFAULT_EMULATOR_KEY, 'utf8'),
    bearerToken: Buffer.from(opts.bearerToken ?? DEFAULT_EMULATOR_TOKEN, 'utf8'),
    pricingJson: JSON.stringify({ date: catalog.date, source: catalog.source, models: catalog.list() }),
    onRequest: opts.onRequest,
    onAdmin: opts.onAdmin,
  });
  const server = createServer({ keepAlive: true }, (req, res) => shell.serve(req, res));
  // A slow or stalled body is cut off instead of holding a socket forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.on('clientError', answerMalformed);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await durable?.store.close().catch(() => {});
    throw e;
  }

  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${addr.port}`,
    port: addr.port,
    seed: state.seed,
    restored: durable?.recovery,
    rows: () => state.ledger.rows(),
    stats: () => ({ ...state.stats }),
    requests: (since = 0) => state.requests.since(since),
    reset: () => shell.reset(),
    setFaults: (patch) => {
      shell.setFaults(patch);
      return { ...state.faults };
    },
    faults: () => ({ ...state.faults }),
    close: () =>
      (closing ??= (async () => {
        shell.dropPendingReplies();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await durable?.store.close();
      })()),
  };
}

interface ShellOptions {
  apiKey: Buffer;
  bearerToken: Buffer;
  pricingJson: string;
  onRequest: ((entry: RequestLogEntry) => void) | undefined;
  onAdmin: ((event: AdminEvent) => void) | undefined;
}

/** One request on its way: its number and arrival, for its record in the log. */
interface Arrival {
  number: number;
  time: string;
  t0: number;
}

/** The HTTP side of one emulator: each request routed, authorised, decided (decide.ts), stored and answered. */
class HttpShell implements AdminHost {
  /** Replies waiting out the configured latency, with what logs them if the server closes first. */
  private readonly delayed = new Map<NodeJS.Timeout, () => void>();

  constructor(
    readonly state: EmulatorState,
    readonly store: RowStore | undefined,
    private readonly o: ShellOptions,
  ) {}

  get onAdmin(): ((event: AdminEvent) => void) | undefined {
    return this.o.onAdmin;
  }

  async reset(): Promise<{ rows: number; requests: number }> {
    const forgotten = this.state.reset();
    await this.store?.rewrite(() => false);
    return forgotten;
  }

  setFaults(patch: FaultPatch): void {
    applyFaultPatch(this.state.faults, patch);
  }

  serve(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => {}); // a client that went away must not crash the server
    const path = pathOf(req);
    const work = path.startsWith(ADMIN_PREFIX) ? serveAdmin(this, req, res, path, queryOf(req)) : this.handle(req, res, path, this.arrive());
    work.catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        const body = JSON.stringify({ ok: false, error: `internal emulator error: ${(e as Error)?.message ?? String(e)}` });
        res.writeHead(500, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      }
    });
  }

  /** Close: replies still waiting out the latency are never sent, but their requests are logged. */
  dropPendingReplies(): void {
    for (const [t, logUnsent] of this.delayed) {
      clearTimeout(t);
      logUnsent();
    }
    this.delayed.clear();
  }

  private arrive(): Arrival {
    return { number: this.state.numberRequest(), time: new Date().toISOString(), t0: performance.now() };
  }

  private async handle(req: IncomingMessage, res: ServerResponse, path: string, at: Arrival): Promise<void> {
    this.state.stats.requests++;
    const answer = (reply: Reply) => this.send(req, res, at, reply);
    const route = ROUTES.get(path);
    if (!route) return answer(jsonReply(404, 'rejected', { ok: false, error: `no such endpoint: ${path}` }));
    if (!route.methods.includes(req.method ?? '')) {
      return answer(jsonReply(405, 'rejected', { ok: false, error: `${req.method} is not allowed on ${path}; use ${route.methods[0]}` }, { allow: route.methods.join(', ') }));
    }
    const denied = this.authorize(route, req, path);
    if (denied) return answer(denied);
    switch (route.kind) {
      case 'ingest':
      case 'demo':
        return this.ingest(req, at, route.kind === 'demo', answer);
      case 'status':
        return answer(jsonReply(200, 'served', this.state.ledger.workspaceStatus(this.state.faults, this.state.workspaceId, Date.now())));
      case 'pricing':
        return answer({ status: 200, outcome: 'served', body: this.o.pricingJson });
      case 'delete-test':
        return this.carryOut(deleteRows(this.state, 'test', queryOf(req)), answer);
      case 'delete-demo':
        return this.carryOut(deleteRows(this.state, 'demo', queryOf(req)), answer);
    }
  }

  /** The 401 for a request without the route's credentials, or undefined when they are right. */
  private authorize(route: Route, req: IncomingMessage, path: string): Reply | undefined {
    if (route.auth === 'api-key') {
      const given = req.headers['x-api-key'];
      if (typeof given !== 'string' || given === '') return jsonReply(401, 'unauthorized', { ok: false, error: 'missing X-API-Key header' });
      if (!sameSecret(given, this.o.apiKey)) return jsonReply(401, 'unauthorized', { ok: false, error: 'invalid API key' });
    } else if (route.auth === 'bearer') {
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
      if (!m) {
        const error =
          req.headers['x-api-key'] !== undefined ? `${path} takes a dashboard user's token (Authorization: Bearer …), not the workspace API key` : 'missing Authorization: Bearer header';
        return jsonReply(401, 'unauthorized', { ok: false, error }, { 'www-authenticate': 'Bearer' });
      }
      if (!sameSecret(m[1]!, this.o.bearerToken)) return jsonReply(401, 'unauthorized', { ok: false, error: 'invalid token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    return undefined;
  }

  /** An ingest request: admitted (before its body is read), then its body judged. */
  private async ingest(req: IncomingMessage, at: Arrival, demo: boolean, answer: (reply: Reply) => void): Promise<void> {
    const early = admit(this.state, Date.now());
    if (early) return answer(early.reply);
    const body = await readBody(req);
    if (body === 'aborted') return this.log(req, at, { status: 0, outcome: 'aborted' });
    return this.carryOut(judge(this.state, { body, demo, now: Date.now(), storeFailure: this.store?.failed }), answer);
  }

  /** What a decision asks of the store (write the row, wait for the original, drop a dataMode), then its reply. */
  private async carryOut(d: Decision, answer: (reply: Reply) => void): Promise<void> {
    const store = this.store;
    if (d.afterStoreFlush) await store?.flushed();
    if (d.rewriteWithout !== undefined) await store?.rewrite(withoutMode(d.rewriteWithout));
    if (d.store && store) {
      try {
        await store.append(d.store);
      } catch (e) {
        return answer(unstored(this.state, d.store, e as Error).reply);
      }
    }
    answer(d.reply);
  }

  /** Count the outcome now; send (after the configured latency) and log once sent. */
  private send(req: IncomingMessage, res: ServerResponse, at: Arrival, reply: Reply): void {
    this.state.count(reply.outcome);
    if (reply.conflict) this.state.stats.conflicts++;
    const send = () => {
      if (!res.destroyed && !res.headersSent) {
        res.writeHead(reply.status, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(reply.body)), ...reply.headers });
        res.end(reply.body);
      }
      this.log(req, at, reply);
    };
    const latencyMs = this.state.faults.latencyMs;
    if (latencyMs <= 0) {
      send();
      return;
    }
    const t = setTimeout(() => {
      this.delayed.delete(t);
      send();
    }, latencyMs);
    this.delayed.set(t, () => this.log(req, at, reply));
  }

  /** The one place a request's outcome is known, once it is sent (or the client went away): its record is kept and handed on. */
  private log(req: IncomingMessage, at: Arrival, reply: Pick<Reply, 'status' | 'outcome' | 'externalRequestId' | 'findings' | 'conflict'>): void {
    const record: RequestRecord = {
      number: at.number,
      time: at.time,
      method: req.method ?? '?',
      path: pathOf(req),
      status: reply.status,
      outcome: reply.outcome,
      ms: Math.round((performance.now() - at.t0) * 100) / 100,
      ...(reply.externalRequestId !== undefined ? { externalRequestId: reply.externalRequestId } : {}),
      ...(reply.conflict ? { conflict: true as const } : {}),
      ...(reply.findings ? { findings: reply.findings } : {}),
    };
    this.state.requests.push(record);
    const onRequest = this.o.onRequest;
    if (!onRequest) return;
    try {
      onRequest(record);
    } catch {
      // A throwing log callback must not take the server down (it may run inside a timer).
    }
  }
}

const withoutMode = (mode: DataMode) => (row: Record<string, unknown>) => modeOf(row) !== mode;

/** Open the JSONL store and count what it already holds (rejects — ENOENT, EACCES, a corrupt line, a lock — before the server listens). */
async function openStore(path: string, ledger: Ledger, durable: boolean): Promise<{ store: RowStore; recovery: StoreRecovery }> {
  try {
    return await RowStore.open(path, (row) => ledger.add(row as unknown as Payload), { durable });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ELOCKED') throw e; // says what it is, with its hint
    const why = err.code && err.syscall !== 'open' ? err.code : err.message;
    throw Object.assign(new Error(err.syscall === 'open' && !err.code ? err.message : `cannot open store ${printable(path)}: ${why}`), { code: err.code, syscall: 'open', path });
  }
}

/** Garbage bytes, oversized headers, timeouts: answer if the socket can still take it. */
function answerMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  const body = JSON.stringify({ ok: false, error: `malformed HTTP request (${err.code ?? 'parse error'})` });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
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
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed))) throw new RangeError(`seed must be a whole number, got ${o.seed}`);
  if (o.apiKey !== undefined && (typeof o.apiKey !== 'string' || o.apiKey === '')) throw new TypeError('apiKey must be a non-empty string');
  if (o.bearerToken !== undefined && (typeof o.bearerToken !== 'string' || !/^\S+$/.test(o.bearerToken))) throw new TypeError('bearerToken must be a non-empty string without spaces');
  if (o.requestsKept !== undefined && !(Number.isSafeInteger(o.requestsKept) && o.requestsKept >= 0)) throw new RangeError(`requestsKept must be a whole number ≥ 0, got ${o.requestsKept}`);
  // The fault settings (faults.ts) are checked where they are made.
  return { host: o.host ?? DEFAULT_EMULATOR_HOST, port };
}
