/**
 * What the emulator received, request by request (docs/emulate.md, "The request log"): the
 * record of each request, kept for `GET /_emulator/requests` and `requests()`, printed as one
 * log line (text or JSON), and handed to `onRequest`. The last `limit` records are kept; the
 * count of older ones is reported, so memory stays bounded on a long run.
 */
import type { RequestFinding } from './check-body.js';
import { jsonLine, printable } from './printable.js';
import type { ReplyKind } from './state.js';

export interface RequestRecord {
  /** 1-based, in order of arrival; never reused, not even after a reset. */
  number: number;
  /** Arrival, ISO 8601 UTC with milliseconds. */
  time: string;
  method: string;
  path: string;
  /** 0 when no answer was sent (the client went away). */
  status: number;
  outcome: ReplyKind;
  /** From arrival to the answer being handed to the socket, latency included. */
  ms: number;
  externalRequestId?: string;
  /** The id was stored before with a different usage or model: answered as a duplicate, not counted. */
  conflict?: true;
  /**
   * The body's lint findings at the team's severities ([] for a clean payload); absent when no
   * payload was judged (not an ingest request, or refused before its body was read: 401, 429, 503, 413).
   */
  findings?: RequestFinding[];
}

/** Records kept by default. */
export const DEFAULT_REQUESTS_KEPT = 10_000;

export class RequestLog {
  private ring: RequestRecord[] = [];
  private next = 0;
  private droppedCount = 0;

  constructor(readonly limit: number) {}

  push(r: RequestRecord): void {
    if (this.limit <= 0) {
      this.droppedCount++;
      return;
    }
    if (this.ring.length < this.limit) {
      this.ring.push(r);
      return;
    }
    this.ring[this.next] = r;
    this.next = (this.next + 1) % this.limit;
    this.droppedCount++;
  }

  /** The kept records numbered above `after`, in order of arrival. */
  since(after = 0): RequestRecord[] {
    return this.ring.filter((r) => r.number > after).sort((a, b) => a.number - b.number);
  }

  /** Records no longer kept (the oldest beyond `limit`) since the start or the last clear. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Forget every record (the admin reset); returns how many were kept. */
  clear(): number {
    const n = this.ring.length;
    this.ring = [];
    this.next = 0;
    this.droppedCount = 0;
    return n;
  }
}

/**
 * The record as one log line, control characters escaped (printable.ts): in text,
 * `#N METHOD PATH STATUS OUTCOME[ conflict] MSms[ ID][ errors=…][ warnings=…]`; in JSON, the
 * record itself (what `GET /_emulator/requests` lists).
 */
export function logLine(r: RequestRecord, format: 'text' | 'json'): string {
  if (format === 'json') return jsonLine(r);
  const findings = r.findings ?? [];
  const errors = findings.filter((f) => f.severity === 'error').map((f) => f.rule);
  const warnings = findings.filter((f) => f.severity !== 'error').map((f) => f.rule);
  const parts = [
    `#${r.number}`,
    printable(r.method),
    printable(r.path),
    String(r.status || '-'),
    r.outcome + (r.conflict ? ' conflict' : ''),
    `${r.ms.toFixed(1)}ms`,
  ];
  if (r.externalRequestId !== undefined) parts.push(printable(r.externalRequestId));
  if (errors.length > 0) parts.push(`errors=${[...new Set(errors)].join(',')}`);
  if (warnings.length > 0) parts.push(`warnings=${[...new Set(warnings)].join(',')}`);
  return parts.join(' ');
}
