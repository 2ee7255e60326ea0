/**
 * The request log (src/emulator/request-log.ts): a bounded ring of records listed in order of
 * arrival, and the one log line per request, text or JSON, with what the client sent escaped.
 */
import { describe, expect, it } from 'vitest';
import { logLine, RequestLog, type RequestRecord } from '../../src/emulator/request-log.js';

const record = (number: number, extra: Partial<RequestRecord> = {}): RequestRecord => ({
  number,
  time: '2026-03-01T12:00:00.000Z',
  method: 'POST',
  path: '/v1/ingest/llm-request',
  status: 200,
  outcome: 'accepted',
  ms: 1.25,
  ...extra,
});

describe('RequestLog', () => {
  it('keeps the last `limit` records, lists them by number (answers can come out of order), counts the dropped', () => {
    const log = new RequestLog(3);
    for (const n of [2, 1, 3, 5, 4]) log.push(record(n));
    expect(log.since().map((r) => r.number)).toEqual([3, 4, 5]);
    expect(log.dropped).toBe(2);
    expect(log.since(3).map((r) => r.number)).toEqual([4, 5]);
    expect(log.clear()).toBe(3);
    expect(log.since()).toEqual([]);
    expect(log.dropped).toBe(0);
    const none = new RequestLog(0);
    none.push(record(1));
    expect([none.since(), none.dropped]).toEqual([[], 1]);
  });
});

describe('logLine', () => {
  it('text: number, method, path, status, outcome, time, id and the rule ids; a conflict says so', () => {
    const findings = [
      { rule: 'payload/type', severity: 'error' as const, pointer: '/inputTokens', message: 'm', line: 1, column: 2 },
      { rule: 'payload/missing-latency', severity: 'warning' as const, pointer: '/latencyMs', message: 'm', line: 1, column: 1 },
      { rule: 'payload/type', severity: 'error' as const, pointer: '/outputTokens', message: 'm', line: 1, column: 9 },
    ];
    expect(logLine(record(7, { status: 400, outcome: 'rejected', externalRequestId: 'ext_7', findings }), 'text')).toBe(
      '#7 POST /v1/ingest/llm-request 400 rejected 1.3ms ext_7 errors=payload/type warnings=payload/missing-latency',
    );
    expect(logLine(record(8, { outcome: 'duplicate', conflict: true, externalRequestId: 'x', findings: [] }), 'text')).toBe(
      '#8 POST /v1/ingest/llm-request 200 duplicate conflict 1.3ms x',
    );
    expect(logLine(record(9, { status: 0, outcome: 'aborted' }), 'text')).toBe('#9 POST /v1/ingest/llm-request - aborted 1.3ms');
  });

  it('an id with a newline or an escape sequence cannot forge a line or reach the terminal raw', () => {
    const forged = record(1, { externalRequestId: 'a\n#2 POST /v1/ingest/llm-request 200 accepted 0.1ms b\u001b[2J' });
    for (const format of ['text', 'json'] as const) {
      const line = logLine(forged, format);
      expect(line.split('\n'), format).toHaveLength(1);
      expect(line).not.toContain('\u001b');
    }
    expect(logLine(forged, 'text')).toContain('a\\n#2 POST');
    expect(JSON.parse(logLine(forged, 'json'))).toEqual(forged);
  });
});
