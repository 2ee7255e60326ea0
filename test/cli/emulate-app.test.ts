/**
 * `opsmeter emulate -- <command>` as a team runs it in CI: the built CLI runs a small app in
 * another language (test/cli/apps/telemetry_app.py: Python 3, standard library only, one POST
 * per LLM call as Opsmeter's own examples send) against a free loopback port, then reports what
 * the app sent. Checked: the exit code (the app's own if it failed, else 1 for an error or for
 * warnings under --strict / --max-warnings), the summary on stderr, the report file in each
 * format (the SARIF also against the SARIF 2.1.0 schema, where it is at hand), faults changed mid-run through the admin
 * API, a conflicting reuse of an id, an id that tries to forge a log line, the team's
 * opsmeter.config.json, and SIGTERM passed on to the app with the report still written.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { HAS_SARIF_SCHEMA, sarifSchemaErrors, sarifShapeErrors } from '../helpers/sarif-schema.js';
import { waitFor } from '../helpers/wait.js';

const APP = join(ROOT, 'test', 'cli', 'apps', 'telemetry_app.py');
const HAS_PYTHON = spawnSync('python3', ['--version']).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-emulate-app-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let reports = 0;
const reportPath = (ext: string) => join(tmp, `report-${reports++}.${ext}`);

/** `opsmeter emulate FLAGS -- python3 telemetry_app.py SCENARIO`; stdout is the app's (one JSON line per request). */
async function emulateApp(scenario: string, flags: string[] = [], cwd = ROOT) {
  const r = await runCli(['emulate', ...flags, '--', 'python3', APP, scenario], { cwd });
  const sent = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { label: string; status: number; body: Record<string, unknown> });
  return { ...r, sent, status: (label: string) => sent.find((s) => s.label === label)?.status };
}

describe.skipIf(!HAS_PYTHON)('opsmeter emulate -- python3 app.py', () => {
  it('a clean app: exit 0, the requests by outcome, no problems; the child got the URL and the key', async () => {
    const json = reportPath('json');
    const r = await emulateApp('clean', ['--report', json, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.sent.map((s) => s.status)).toEqual([200, 200, 200, 200]);
    expect(r.sent[3]!.body.warnings).toEqual(['duplicate externalRequestId: not counted']);
    expect(r.stderr).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+\n/); // a free port, not 8787's
    expect(r.stderr).toContain('opsmeter emulate: `python3 ');
    expect(r.stderr).toContain(
      'clean` exited 0; it sent 4 requests\n  requests: 3 accepted · 1 duplicate\n  payloads: 4 checked: 0 with errors, 0 with warnings only, 4 clean\n',
    );
    expect(r.stderr).toMatch(/✔ no problems: 4 requests, 4 payloads received and checked against the contract \(catalog [^)]+\)\n {2}exit 0\n/);
    expect(r.stderr).toContain(`  report written to ${json}`);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.summary).toMatchObject({ files: 4, records: 4, errors: 0, warnings: 0 });
    expect(report.problems).toEqual([]);
  });

  it("an app with the SDKs' habits: warnings reported by rule and request, exit 0; --strict or --max-warnings makes it 1", async () => {
    const r = await emulateApp('warnings');
    expect(r.code, r.stderr).toBe(0);
    expect(r.sent.map((s) => s.status)).toEqual([200, 200, 200, 200]); // accepted, as the API would
    expect(r.stderr).toContain('  payloads: 4 checked: 0 with errors, 3 with warnings only, 1 clean\n  by rule:\n');
    expect(r.stderr).toMatch(/warning {2}payload\/placeholder-value +2 {2}first: request 1 at \/promptVersion/);
    expect(r.stderr).toMatch(/warning {2}payload\/zero-usage +1 {2}first: request 2 at \/inputTokens/);
    expect(r.stderr).toMatch(/warning {2}payload\/missing-latency +1 {2}first: request 3 at \/latencyMs/);
    expect(r.stderr).toMatch(/ {4}request 1 POST \/v1\/ingest\/llm-request 200 accepted ext_warn_1 \d{4}-/);
    expect(r.stderr).toContain('⚠ 4 problems (0 errors, 4 warnings)');
    expect(r.stderr).toContain('  warnings only: exit 0 (use --strict to fail on warnings)\n  exit 0\n');
    expect((await emulateApp('warnings', ['--strict'])).code).toBe(1);
    expect((await emulateApp('warnings', ['--max-warnings', '3'])).code).toBe(1);
    expect((await emulateApp('warnings', ['--max-warnings', '4'])).code).toBe(0);
  });

  it('an app with invalid payloads: 400s as the API answers, exit 1, each error located by request and pointer', async () => {
    const json = reportPath('json');
    const r = await emulateApp('invalid', ['--report', json, '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.sent.map((s) => [s.label, s.status])).toEqual([
      ['clean', 200],
      ['tokens as a string', 400],
      ['numeric errorCode', 400],
      ['duplicate key', 400],
    ]);
    expect(r.sent[3]!.body).toMatchObject({ errors: [{ rule: 'json/duplicate-key', pointer: '/model' }] });
    expect(r.stderr).toContain('  requests: 1 accepted · 3 rejected\n  payloads: 4 checked: 3 with errors, 0 with warnings only, 1 clean\n');
    expect(r.stderr).toContain('✖ 3 problems (3 errors, 0 warnings)');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.summary).toMatchObject({ files: 4, records: 4, errors: 3, warnings: 0 });
    expect(report.byRule).toEqual({ 'payload/type': 2, 'json/duplicate-key': 1 });
    const located = report.problems.map((p: { request: { number: number; externalRequestId?: string }; rule: string; pointer: string; line: number }) => [
      p.request.number,
      p.request.externalRequestId,
      p.rule,
      p.pointer,
      p.line,
    ]);
    expect(located).toEqual([
      [2, 'ext_bad_2', 'payload/type', '/inputTokens', 1],
      [3, 'ext_bad_3', 'payload/type', '/errorCode', 1],
      [4, 'ext_bad_4', 'json/duplicate-key', '/model', 1],
    ]);
    expect(report.problems[0].file).toMatch(/^request 2 \(POST \/v1\/ingest\/llm-request, \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
    expect(report.problems[0].request).toMatchObject({ method: 'POST', path: '/v1/ingest/llm-request', time: expect.any(String) });
  });

  it('an app that fails itself: its own exit code, whatever its telemetry; the report is still printed', async () => {
    const r = await emulateApp('fails');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('the app failed on its own');
    expect(r.stderr).toContain('fails` exited 3; it sent 1 request\n');
    expect(r.stderr).toContain("  exit 3: the command's own\n");
  });

  it('a command that cannot be run: 127, with the reason', async () => {
    const r = await runCli(['emulate', '--', 'no-such-command-opsmeter-test']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('`no-such-command-opsmeter-test` could not be run: no such command (it is run without a shell: is it on PATH?)');
    expect(r.stderr).toContain('no requests reached the emulator');
  });

  it('a conflicting reuse of an id is answered as a duplicate and flagged in the log, the request list and the report', async () => {
    const json = reportPath('json');
    const r = await emulateApp('conflict', ['--log-format', 'json', '--report', json, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.sent.map((s) => [s.status, s.body.warnings])).toEqual([
      [200, []],
      [200, ['duplicate externalRequestId: not counted']],
      [200, ['duplicate externalRequestId: not counted']],
    ]);
    const log = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(log.map((e) => [e.number, e.outcome, e.conflict ?? false])).toEqual([
      [1, 'accepted', false],
      [2, 'duplicate', false],
      [3, 'duplicate', true],
    ]);
    expect(log[2].findings.map((f: { rule: string }) => f.rule)).toContain('payload/duplicate-external-request-id');
    expect(r.stderr).toContain('  requests: 1 accepted · 2 duplicate (1 conflict)');
    expect(r.stderr).toContain('request 3 POST /v1/ingest/llm-request 200 duplicate (conflict) ext_reused');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.problems.find((p: { rule: string }) => p.rule === 'payload/duplicate-external-request-id')).toMatchObject({
      pointer: '/externalRequestId',
      request: { number: 3, externalRequestId: 'ext_reused' },
    });
  });

  it('faults changed mid-run through the admin API answer the next request: 429, 402, 402, 503; a bad change is a 400; reset starts over', async () => {
    const r = await emulateApp('faults', ['--verbose']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.sent.map((s) => [s.label, s.status])).toEqual([
      ['before', 200],
      ['requests', 200],
      ['rate limit', 200],
      ['within the burst', 200],
      ['throttled', 429],
      ['plan limit', 200],
      ['paused', 402],
      ['hard budget', 200],
      ['blocked', 402],
      ['outage', 200],
      ['unavailable', 503],
      ['bad setting', 400],
      ['back to normal', 200],
      ['reset', 200],
      ['after the reset', 200],
      ['rows', 200],
    ]);
    const listed = r.sent.find((s) => s.label === 'requests')!.body.requests as { number: number; externalRequestId: string; findings: unknown[] }[];
    expect(listed.map((e) => [e.number, e.externalRequestId, e.findings])).toEqual([[1, 'ext_fault_0', []]]);
    expect(r.sent.find((s) => s.label === 'paused')!.body).toMatchObject({ reason: 'plan_limit_reached' });
    expect(r.sent.find((s) => s.label === 'blocked')!.body.error).toMatch(/^Budget hard stop: estimated spend \$0\.0000\d+ is past the budget of \$0\.000001;/);
    expect(r.sent.find((s) => s.label === 'reset')!.body).toEqual({ ok: true, reset: { rows: 2, requests: 6 } });
    // After the reset ext_fault_1 is a new row again, and the only one.
    expect((r.sent.find((s) => s.label === 'rows')!.body.rows as { externalRequestId: string }[]).map((row) => row.externalRequestId)).toEqual(['ext_fault_1']);
    expect(r.stderr).toContain(
      'opsmeter emulate: faults changed (PATCH /_emulator/faults): planTier=Free planLimit=none budgetUsd=none budgetMode=soft rateLimit=1',
    );
    expect(r.stderr).toContain('opsmeter emulate: reset (POST /_emulator/reset): 2 rows and 6 logged requests forgotten');
    // The log numbers requests across the reset; the report counts every request the app sent.
    expect(r.stderr).toMatch(/#7 POST \/v1\/ingest\/llm-request 200 accepted [\d.]+ms ext_fault_1\n/);
    expect(r.stderr).toContain('it sent 7 requests\n  requests: 3 accepted · 1 paused · 1 blocked · 1 throttled · 1 failed\n');
  });

  it('an id that tries to forge a log line or reach the terminal is escaped everywhere it is printed', async () => {
    const r = await emulateApp('forged', ['--verbose']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stderr).toMatch(
      /#1 POST \/v1\/ingest\/llm-request 200 accepted [\d.]+ms ext_x\\n#99 POST \/v1\/ingest\/llm-request 200 accepted 0\.1ms forged\\u001b\[2J\n/,
    );
    expect(r.stderr.split('\n').filter((l) => l.startsWith('#'))).toHaveLength(1);
  });

  it.skipIf(!HAS_SARIF_SCHEMA)('the SARIF report file validates against the SARIF 2.1.0 schema', async () => {
    const sarif = reportPath('sarif');
    expect((await emulateApp('invalid', ['--report', sarif, '--format', 'sarif', '--strict'])).code).toBe(1);
    expect(sarifSchemaErrors(JSON.parse(readFileSync(sarif, 'utf8')))).toEqual([]);
  });

  it('the report in each format: SARIF results per request, JUnit failures per request, GitHub annotations, pretty', async () => {
    const sarif = reportPath('sarif');
    expect((await emulateApp('invalid', ['--report', sarif, '--format', 'sarif'])).code).toBe(1);
    const doc = JSON.parse(readFileSync(sarif, 'utf8'));
    expect(sarifShapeErrors(doc)).toEqual([]);
    expect(doc.runs[0].results.map((x: { ruleId: string }) => x.ruleId)).toEqual(['payload/type', 'payload/type', 'json/duplicate-key']);
    expect(decodeURIComponent(doc.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri)).toMatch(
      /^request 2 \(POST \/v1\/ingest\/llm-request, \d{4}-/,
    );

    const junit = reportPath('xml');
    await emulateApp('invalid', ['--report', junit, '--format', 'junit']);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuites name="opsmeter emulate" tests="3" failures="3" errors="0">');
    expect(xml).toMatch(/<testsuite name="request 2 \(POST \/v1\/ingest\/llm-request, [^"]+\)" tests="1" failures="1"/);

    const github = await emulateApp('warnings', ['--report', '-', '--format', 'github']);
    expect(github.stdout).toMatch(
      /^::warning file=request 1 \(POST \/v1\/ingest\/llm-request%2C [^,]+,line=1,col=\d+,title=payload\/placeholder-value::promptVersion is the placeholder/m,
    );

    const pretty = reportPath('txt');
    await emulateApp('warnings', ['--report', pretty]);
    const text = readFileSync(pretty, 'utf8');
    expect(text).toMatch(/^request 1 \(POST \/v1\/ingest\/llm-request, [^)]+\)\n {2}1:\d+ +warning {2}promptVersion is the placeholder "unknown"/);
    expect(text).toContain('⚠ 4 problems (0 errors, 4 warnings): 4 requests, 4 payloads received and checked against the contract');
  });

  it("the team's opsmeter.config.json and --rule set the findings' severities (never the answers)", async () => {
    const repo = join(tmp, 'team');
    mkdirSync(join(repo, '.git'), { recursive: true });
    writeFileSync(join(repo, 'opsmeter.config.json'), JSON.stringify({ rules: { 'payload/missing-latency': 'error' } }));
    const raised = await emulateApp('warnings', [], repo);
    expect(raised.code, raised.stderr).toBe(1);
    expect(raised.sent.map((s) => s.status)).toEqual([200, 200, 200, 200]);
    expect(raised.stderr).toMatch(/error {4}payload\/missing-latency +1/);
    expect(raised.stderr).toContain('rule settings: payload/missing-latency=error');
    const off = await emulateApp('warnings', ['--rule', 'payload/placeholder-value=off', '--no-config'], repo);
    expect(off.code).toBe(0);
    expect(off.stderr).not.toMatch(/warning +payload\/placeholder-value/);
    expect(off.stderr).toContain('⚠ 2 problems (0 errors, 2 warnings)');
    expect(off.stderr).toContain('rule settings: payload/placeholder-value=off');
    const bad = await runCli(['emulate', '--rule', 'payload/nope=off', '--', 'python3', APP, 'clean']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown rule "payload/nope"');
  });
});

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** The built CLI as a child this test can signal, with its output collected. */
function spawnCli(args: string[]) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_') && k !== 'FORCE_COLOR') env[k] = v;
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...env, NO_COLOR: '1', TZ: 'UTC', XDG_CACHE_HOME: join(ROOT, '.test-cache') } });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, exit, stdout: () => stdout, stderr: () => stderr };
}

describe('stopping', () => {
  it.skipIf(!HAS_PYTHON)('SIGTERM to opsmeter is passed on to the app; its exit (143) is the exit code, and the report is written', async () => {
    const json = reportPath('json');
    const run = spawnCli(['emulate', '--report', json, '--format', 'json', '--', 'python3', APP, 'wait']);
    await waitFor(() => run.stdout().includes('ready'), 'the app to send its call');
    run.child.kill('SIGTERM');
    expect((await run.exit).code).toBe(143);
    expect(run.stderr()).toContain('wait` was ended by SIGTERM; it sent 1 request');
    expect(run.stderr()).toContain("  exit 143: the command's own");
    expect(JSON.parse(readFileSync(json, 'utf8')).problems.map((p: { rule: string }) => p.rule)).toEqual(['payload/missing-latency']);
  });

  it('a long-running emulate writes its report when stopped by SIGTERM or SIGINT, and exits 0', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const sarif = reportPath('sarif');
      const run = spawnCli(['emulate', '--port', '0', '--report', sarif, '--format', 'sarif']);
      await waitFor(() => run.stderr().includes('stop with Ctrl+C'), 'the banner');
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stderr())![1]!;
      const res = await fetch(url + '/v1/ingest/llm-request', {
        method: 'POST',
        headers: { 'x-api-key': 'om_test_local' },
        body: JSON.stringify({
          externalRequestId: 'e1',
          provider: 'openai',
          model: 'gpt-4o-mini',
          status: 'success',
          inputTokens: 1,
          outputTokens: 1,
          promptVersion: 'unknown',
        }),
      });
      expect(res.status).toBe(200);
      run.child.kill(signal);
      expect((await run.exit).code, run.stderr()).toBe(0);
      expect(run.stderr()).toContain(`stopped (${signal}) after 1 requests: 1 accepted`);
      expect(run.stderr()).toContain(`  report written to ${sarif}`);
      const doc = JSON.parse(readFileSync(sarif, 'utf8'));
      expect(sarifShapeErrors(doc)).toEqual([]);
      expect(doc.runs[0].results.map((x: { ruleId: string }) => x.ruleId).sort()).toEqual([
        'payload/missing-endpoint-tag',
        'payload/missing-latency',
        'payload/placeholder-value',
      ]);
    }
  });
});

describe('one emulator per --store', () => {
  it('a second emulator on the same store is refused (exit 2); after a kill -9 the lock is stale and taken over', async () => {
    const store = join(tmp, 'locked.jsonl');
    const first = spawnCli(['emulate', '--port', '0', '--store', store]);
    await waitFor(() => first.stderr().includes('stop with Ctrl+C'), 'the first emulator');
    const second = await runCli(['emulate', '--port', '0', '--store', store]);
    expect(second.code).toBe(2);
    expect(second.stderr).toBe(
      `opsmeter: store ${store} is in use by another emulator (pid ${first.child.pid}, since ${JSON.parse(readFileSync(`${store}.lock`, 'utf8')).since})\n  hint: stop that emulator first, or give this one another --store\n`,
    );
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    expect(existsSync(`${store}.lock`)).toBe(true); // left behind by the kill
    const third = spawnCli(['emulate', '--port', '0', '--store', store]);
    await waitFor(() => third.stderr().includes('stop with Ctrl+C'), 'the third emulator');
    expect(third.stderr()).toContain(`warning: store ${store}: took over the lock of an emulator that is gone (pid ${first.child.pid}, since `);
    third.child.kill('SIGTERM');
    expect((await third.exit).code).toBe(0);
    expect(existsSync(`${store}.lock`)).toBe(false);
  });
});
