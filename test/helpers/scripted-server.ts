/**
 * A tiny purpose-built HTTP server on 127.0.0.1 for exact fault cases the emulator
 * does not script (a server that never answers, a 503-then-200 sequence, a 429 with an
 * HTTP-date Retry-After, a body that echoes the key …). Each request is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Parsed JSON body, when it is JSON. */
  json?: unknown;
  /** When the request arrived: performance.now(), or the clock given to startScriptedServer. */
  at: number;
  /** 0-based arrival index. */
  index: number;
}

export type Reply =
  | {
      status: number;
      headers?: Record<string, string>;
      body?: unknown;
      /** Send the headers at once, then the body one byte every `drip` ms. */
      drip?: number;
      /** Send the headers (with the whole body's content-length) and this many bytes of the body, then close the connection. */
      cutAfter?: number;
    }
  /** Never answer (the client must time out). */
  | 'hang'
  /** Close the socket without a response. */
  | 'destroy';

export type Script = (req: SeenRequest) => Reply | Promise<Reply>;

export interface ScriptedServer {
  url: string;
  requests: SeenRequest[];
  /** Highest number of requests being handled at the same time. */
  maxConcurrent(): number;
  close(): Promise<void>;
}

/** @param now the clock `at` is read from (a test's virtual clock, so gaps are virtual too) */
export async function startScriptedServer(script: Script, now: () => number = () => performance.now()): Promise<ScriptedServer> {
  const requests: SeenRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let active = 0;
  let peak = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      active++;
      peak = Math.max(peak, active);
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json, at: now(), index: requests.length };
      requests.push(seen);
      let reply: Reply;
      try {
        reply = await script(seen);
      } catch (e) {
        reply = { status: 500, body: { message: String(e) } };
      }
      if (reply === 'hang') {
        hanging.add(res);
        res.on('close', () => {
          hanging.delete(res);
          active--;
        });
        return;
      }
      active--;
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      const headers = { 'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json', ...reply.headers };
      if (reply.cutAfter !== undefined) {
        res.writeHead(reply.status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
        res.write(text.slice(0, reply.cutAfter), () => req.socket.destroy());
        return;
      }
      if (reply.drip !== undefined) {
        // A byte at a time, until the client gives up (the connection closes) or the body is out.
        res.writeHead(reply.status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
        hanging.add(res);
        let at = 0;
        const timer = setInterval(() => {
          if (res.destroyed || at >= text.length) {
            clearInterval(timer);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(text[at++]!);
        }, reply.drip);
        res.on('close', () => {
          clearInterval(timer);
          hanging.delete(res);
        });
        return;
      }
      res.writeHead(reply.status, headers);
      res.end(text);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    maxConcurrent: () => peak,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const ok = (extra: Record<string, unknown> = {}): Reply => ({ status: 200, body: { ok: true, planTier: 'Free', warnings: [], ...extra } });

/** An ingest stand-in that accepts once per externalRequestId (duplicates get the emulator's warning). */
export function acceptingScript(stored: Map<string, unknown> = new Map()): Script {
  return (req) => {
    const id = (req.json as { externalRequestId?: string } | undefined)?.externalRequestId;
    if (id !== undefined && stored.has(id)) return ok({ warnings: ['duplicate externalRequestId: not counted'] });
    if (id !== undefined) stored.set(id, req.json);
    return ok();
  };
}

/**
 * Scripted servers for one test file: `start` opens one that is closed after the running
 * test; `deadUrl` is the address of a server already closed (nothing listens there).
 */
export function scriptedServers(): { start(script: Script, now?: () => number): Promise<ScriptedServer>; deadUrl(): Promise<string> } {
  const open: ScriptedServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return {
    async start(script, now) {
      const s = await startScriptedServer(script, now);
      open.push(s);
      return s;
    },
    async deadUrl() {
      const s = await startScriptedServer(() => ({ status: 200 }));
      await s.close();
      return s.url;
    },
  };
}
