/**
 * The emulator's own admin API under `/_emulator/` (docs/emulate.md, "The admin API"), as
 * test doubles of other services have one (stripe-mock, WireMock, LocalStack, the Firebase
 * emulators): what was received, what is stored, a reset, and fault settings changed at run
 * time. It is not part of Opsmeter's API. It answers loopback clients only, and only when the
 * Host header names this machine, so a web page cannot reach it through DNS rebinding.
 *
 *   GET   /_emulator/requests[?since=N]  the request log (request-log.ts), in order of arrival
 *   GET   /_emulator/rows                the stored rows, streamed
 *   POST  /_emulator/reset               rows, counters, limits' state, request log (not the faults)
 *   GET   /_emulator/faults              the fault settings in force
 *   PATCH /_emulator/faults              change them (faults.ts); the next request sees them
 *
 * Admin requests are not numbered, logged or counted: they are the test's, not the app's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultPatchFrom, faultsView, type FaultPatch } from './faults.js';
import type { EmulatorState } from './state.js';
import type { RowStore } from './store.js';

export const ADMIN_PREFIX = '/_emulator/';

/** What an admin call changed, for the CLI's log. */
export type AdminEvent = { kind: 'reset'; rows: number; requests: number } | { kind: 'faults'; faults: Record<string, string | number | null> };

const JSON_TYPE = 'application/json; charset=utf-8';
/** Largest PATCH body read: a fault change is a few dozen bytes. */
const MAX_ADMIN_BODY = 64 * 1024;

const ENDPOINTS: Record<string, readonly string[]> = {
  requests: ['GET'],
  rows: ['GET'],
  reset: ['POST'],
  faults: ['GET', 'PATCH'],
};

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (how a dual-stack socket reports 127.0.0.1). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a) || a === '::1';
}

/** A Host header naming this machine: localhost, *.localhost, 127.x.x.x or [::1], with any port. */
function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return true; // HTTP/1.0 sends none; the socket check still applies
  const name = host
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '');
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

/** The shell's side of the admin API: the operations that need the store or the server's state. */
export interface AdminHost {
  state: EmulatorState;
  store: RowStore | undefined;
  /** Forget everything the emulator remembers (rows, counters, limits' state, log); the store too. */
  reset(): Promise<{ rows: number; requests: number }>;
  setFaults(patch: FaultPatch): void;
  onAdmin: ((event: AdminEvent) => void) | undefined;
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Answer one request under /_emulator/. */
export async function serveAdmin(host: AdminHost, req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
  if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHostHeader(req.headers.host)) {
    return reply(res, 403, { ok: false, error: 'the emulator admin API answers loopback clients only (and a Host header naming this machine)' });
  }
  const name = path.slice(ADMIN_PREFIX.length);
  const methods = ENDPOINTS[name];
  if (!methods) {
    return reply(res, 404, {
      ok: false,
      error: `no such admin endpoint: ${path}; the admin API has ${Object.keys(ENDPOINTS)
        .map((n) => ADMIN_PREFIX + n)
        .join(', ')}`,
    });
  }
  if (!methods.includes(req.method ?? '')) {
    return reply(res, 405, { ok: false, error: `${req.method} is not allowed on ${path}; use ${methods.join(' or ')}` }, { allow: methods.join(', ') });
  }
  switch (`${req.method} ${name}`) {
    case 'GET requests':
      return listRequests(host, res, query);
    case 'GET rows':
      return streamRows(host, res);
    case 'POST reset': {
      const forgotten = await host.reset();
      host.onAdmin?.({ kind: 'reset', ...forgotten });
      return reply(res, 200, { ok: true, reset: forgotten });
    }
    case 'GET faults':
      return reply(res, 200, { ok: true, faults: faultsView(host.state.faults) });
    default:
      return patchFaults(host, req, res);
  }
}

function listRequests(host: AdminHost, res: ServerResponse, query: string): void {
  const since = new URLSearchParams(query).get('since');
  if (since !== null && !/^\d+$/.test(since)) {
    reply(res, 400, { ok: false, error: `since must be a request number (0, 1, 2, …), got "${since}"` });
    return;
  }
  const log = host.state.requests;
  reply(res, 200, { ok: true, requests: log.since(since === null ? 0 : Number(since)), dropped: log.dropped });
}

/** `{"ok":true,"rows":[…]}` written row by row: from memory, or read back from the store. */
async function streamRows(host: AdminHost, res: ServerResponse): Promise<void> {
  const { ledger } = host.state;
  const store = host.store;
  if (!ledger.keepsRows && !store) {
    return reply(res, 409, { ok: false, error: 'this emulator keeps no rows (keepRows: false and no store)' });
  }
  res.writeHead(200, { 'content-type': JSON_TYPE });
  let first = true;
  /** False once the client is gone; waits while the socket's buffer is full. */
  const write = async (items: string): Promise<boolean> => {
    if (res.destroyed) return false;
    const more = res.write((first ? '' : ',') + items);
    first = false;
    if (!more) await drained(res);
    return true;
  };
  res.write('{"ok":true,"rows":[');
  try {
    if (ledger.keepsRows) {
      for (const row of ledger.rows()) if (!(await write(JSON.stringify(row)))) return;
    } else {
      for await (const lines of store!.rowLines()) if (!(await write(lines.join(',')))) return;
    }
    res.end(']}');
  } catch {
    // The store could not be read mid-answer: cut the response off rather than end it as if whole.
    res.destroy();
  }
}

/** Resolves when the response takes more output, or is closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function patchFaults(host: AdminHost, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_ADMIN_BODY) return reply(res, 413, { ok: false, error: `a fault change is a small JSON object (at most ${MAX_ADMIN_BODY} bytes)` });
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    return reply(res, 400, { ok: false, error: `invalid JSON: ${(e as Error).message}` });
  }
  try {
    host.setFaults(faultPatchFrom(body));
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) return reply(res, 400, { ok: false, error: e.message });
    throw e;
  }
  const faults = faultsView(host.state.faults);
  host.onAdmin?.({ kind: 'faults', faults });
  reply(res, 200, { ok: true, faults });
}
