/**
 * The report of what an app sent (src/emulator/report.ts), in process: a real emulator's
 * request records summed up, and written by validate's renderers — each finding located by
 * its request (number, time, path), its JSON pointer and its place in the body. The SARIF
 * validates against the SARIF 2.1.0 schema. The CLI around it is test/cli/emulate-app.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { RequestReport, summaryText } from '../../src/emulator/report.js';
import { DEFAULT_EMULATOR_KEY, type Emulator } from '../../src/emulator/server.js';
import type { Problem } from '../../src/problem.js';
import { streamJson } from '../../src/report/json.js';
import { streamJunit } from '../../src/report/junit.js';
import { streamPretty } from '../../src/report/pretty.js';
import { renderSarif } from '../../src/report/sarif.js';
import { PLAIN } from '../../src/terminal.js';
import { startEmulatorForTest } from '../helpers/emulators.js';
import { cleanPayload } from '../helpers/payloads.js';
import { HAS_SARIF_SCHEMA, sarifSchemaErrors, sarifShapeErrors } from '../helpers/sarif-schema.js';

const payload = (id: string, extra: Record<string, unknown> = {}) =>
  cleanPayload({ externalRequestId: id, dataMode: 'test', environment: 'staging', createdAt: undefined, ...extra });
const ctx = { paint: PLAIN, strict: false, version: '0.1.0', catalog: 'built-in snapshot', scope: 'the requests', command: 'opsmeter emulate' };
const text = (chunks: Iterable<string>) => [...chunks].join('');

/** An emulator whose every request goes into a report, and the app's requests sent to it in order. */
async function sent(bodies: unknown[], problemsInMemory?: number): Promise<{ report: RequestReport; e: Emulator }> {
  const report = new RequestReport({ problemsInMemory });
  const e = await startEmulatorForTest({ onRequest: (r) => report.add(r) });
  for (const body of bodies) {
    const r = await fetch(e.url + '/v1/ingest/llm-request', {
      method: 'POST',
      headers: { 'x-api-key': DEFAULT_EMULATOR_KEY },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    await r.arrayBuffer();
  }
  return { report, e };
}

const APP = [
  payload('a'),
  payload('b', { promptVersion: 'unknown', latencyMs: undefined }),
  payload('c', { inputTokens: '12' }),
  payload('a'),
  payload('a', { inputTokens: 999, totalTokens: 1044 }),
  payload('forged\n#9 POST /x 200 accepted\u001b[2J'),
];

describe('RequestReport', () => {
  it('counts requests by outcome, payloads by result, findings by rule, and keeps the worst requests', async () => {
    const { report } = await sent(APP);
    expect(Object.fromEntries(report.outcomes)).toEqual({ accepted: 3, rejected: 1, duplicate: 2 });
    expect([report.requests, report.payloads, report.payloadsWithErrors, report.payloadsWithWarnings, report.conflicts]).toEqual([6, 6, 1, 2, 1]);
    expect(report.byRule().map((t) => [t.rule, t.severity, t.count, t.firstRequest])).toEqual([
      ['payload/type', 'error', 1, 3],
      ['payload/duplicate-external-request-id', 'warning', 1, 5],
      ['payload/missing-latency', 'warning', 1, 2],
      ['payload/placeholder-value', 'warning', 1, 2],
    ]);
    // Errors first, then the most warnings, the earliest among equals.
    expect(report.worst.map((r) => r.number)).toEqual([3, 2, 5]);
  });

  it('the summary names the rules and the worst requests, with what the app sent escaped', async () => {
    const { report } = await sent([...APP, payload('forged\u001b]0;title\u0007', { latencyMs: undefined })]);
    const lines = summaryText(report, PLAIN).join('\n');
    expect(lines).toContain('  requests: 4 accepted · 2 duplicate (1 conflict) · 1 rejected');
    expect(lines).toContain('  payloads: 7 checked: 1 with errors, 3 with warnings only, 3 clean');
    expect(lines).toMatch(/error {4}payload\/type +1 {2}first: request 3 at \/inputTokens/);
    expect(lines).toContain('request 3 POST /v1/ingest/llm-request 400 rejected c');
    expect(lines).toContain('error    /inputTokens: inputTokens must be a JSON number, got the string "12"  payload/type');
    expect(lines).toContain('forged\\u001b]0;title\\u0007');
    expect(lines).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('every finding is a problem located by its request and pointer, for validate renderers', async () => {
    const { report } = await sent(APP);
    const outcome = report.outcome();
    try {
      const problems = [...outcome.problems] as Problem[];
      expect(outcome.counts).toEqual({ files: 6, records: 6, errors: 1, warnings: 3 });
      expect(outcome.files.map((f) => [f.file.replace(/, .*\)$/, ')'), f.errors, f.warnings])).toEqual([
        ['request 2 (POST /v1/ingest/llm-request)', 0, 2],
        ['request 3 (POST /v1/ingest/llm-request)', 1, 0],
        ['request 5 (POST /v1/ingest/llm-request)', 0, 1],
      ]);
      const type = problems.find((p) => p.rule === 'payload/type')!;
      expect(type).toMatchObject({
        severity: 'error',
        pointer: '/inputTokens',
        line: 1,
        request: { number: 3, method: 'POST', path: '/v1/ingest/llm-request', externalRequestId: 'c' },
      });
      expect(type.file).toBe(`request 3 (POST /v1/ingest/llm-request, ${type.request!.time})`);
      expect(type.column).toBe(JSON.stringify(APP[2]).indexOf('"12"') + 1);
      const json = JSON.parse(text(streamJson(outcome, ctx)));
      expect(json.problems.find((p: Problem) => p.rule === 'payload/type').request).toEqual(type.request);
      expect(json.summary).toMatchObject({ files: 6, records: 6, errors: 1, warnings: 3 });
      const pretty = text(streamPretty(outcome, ctx));
      expect(pretty).toContain(`${type.file}\n`);
      expect(pretty).toContain('✖ 4 problems (1 error, 3 warnings): the requests');
      const junit = text(streamJunit(outcome, ctx));
      expect(junit).toContain('<testsuites name="opsmeter emulate" tests="4" failures="1" errors="0">');
      expect(junit.match(/<testsuite /g)).toHaveLength(3);
    } finally {
      outcome.close();
    }
  });

  it('the SARIF report: a request as its artifact (URI-encoded), the pointer as a logical location', async () => {
    const { report } = await sent(APP);
    const outcome = report.outcome();
    const sarif = JSON.parse(renderSarif(outcome, { ...ctx, strict: true }));
    outcome.close();
    expect(sarifShapeErrors(sarif)).toEqual([]);
    const results = sarif.runs[0].results as {
      ruleId: string;
      level: string;
      locations: { physicalLocation: { artifactLocation: { uri: string } }; logicalLocations?: { fullyQualifiedName: string }[] }[];
    }[];
    expect(results.map((r) => r.level)).toEqual(['error', 'error', 'error', 'error']); // --strict
    const type = results.find((r) => r.ruleId === 'payload/type')!;
    // However the renderer encodes it, the URI decodes to the request's label.
    expect(decodeURIComponent(type.locations[0]!.physicalLocation.artifactLocation.uri)).toMatch(
      /^request 3 \(POST \/v1\/ingest\/llm-request, \d{4}-[\d-]+T[\d:.]+Z\)$/,
    );
    expect(type.locations[0]!.logicalLocations).toEqual([{ fullyQualifiedName: '/inputTokens', kind: 'member' }]);
  });

  it.skipIf(!HAS_SARIF_SCHEMA)('the SARIF report validates against the SARIF 2.1.0 schema', async () => {
    const { report } = await sent(APP);
    const outcome = report.outcome();
    const sarif = JSON.parse(renderSarif(outcome, ctx));
    outcome.close();
    expect(sarifSchemaErrors(sarif)).toEqual([]);
  });

  it('without a report file nothing is listed: the counts and the summary are the same', async () => {
    const report = new RequestReport({ listProblems: false });
    const e = await startEmulatorForTest({ onRequest: (r) => report.add(r) });
    for (const body of APP)
      await (
        await fetch(e.url + '/v1/ingest/llm-request', { method: 'POST', headers: { 'x-api-key': DEFAULT_EMULATOR_KEY }, body: JSON.stringify(body) })
      ).arrayBuffer();
    const listed = (await sent(APP)).report;
    const outcome = report.outcome();
    expect([...outcome.problems]).toEqual([]);
    expect(outcome.files).toEqual([]);
    expect([outcome.counts, outcome.omitted, outcome.byRule]).toEqual([{ files: 6, records: 6, errors: 1, warnings: 3 }, 0, listed.outcome().byRule]);
    expect(summaryText(report, PLAIN).map((l) => l.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T'))).toEqual(
      summaryText(listed, PLAIN).map((l) => l.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T')),
    );
    outcome.close();
  });

  it('memory stays bounded: past problemsInMemory the problems go to a temp file and come back in order; a cap lists errors first', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => payload(`w${i}`, { latencyMs: undefined, ...(i % 4 === 3 ? { outputTokens: -1 } : {}) }));
    const { report } = await sent(bodies, 2);
    const all = report.outcome();
    const listed = [...all.problems].map((p) => `${p.request!.number} ${p.rule}`);
    expect(listed).toHaveLength(report.errors + report.warnings);
    expect(listed.map((l) => Number(l.split(' ')[0]))).toEqual([...listed.map((l) => Number(l.split(' ')[0]))].sort((a, b) => a - b));
    // The same report again, capped (close() removes the temp files: once, at the end).
    const capped = report.outcome(3);
    expect([...capped.problems].map((p) => p.severity)).toEqual(['error', 'error', 'error']);
    expect(capped.omitted).toBe(report.errors + report.warnings - 3);
    capped.close();
  });
});
