/**
 * `opsmeter send` refuses a record whose JSON has a duplicate key, as `validate` reports it
 * (json/duplicate-key, an error no setting can turn off): one event, not sent, named with the
 * same rule and position, for JSONL, a JSON array and a single-object .json file — against the
 * emulator on 127.0.0.1, started in this process. Run `npx tsc -p tsconfig.json` first when
 * running this file alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startEmulatorForTest } from '../helpers/emulators.js';

const KEY = 'om_test_dupkey';
const env = { OPSMETER_API_KEY: KEY };
const dir = mkdtempSync(join(tmpdir(), 'opsmeter-send-dupkey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fields = (id: string) =>
  `"externalRequestId":"${id}","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":1,"outputTokens":2,"latencyMs":5,"status":"success","dataMode":"test","environment":"staging"`;
/** The same object with inputTokens written twice: JSON.parse keeps 99, the last one. */
const withDuplicate = (id: string) => `{${fields(id)},"inputTokens":99}`;
const clean = (id: string) => `{${fields(id)}}`;

interface ValidateProblem {
  line: number;
  column: number;
  rule: string;
  severity: string;
}

async function sendAndValidate(name: string, text: string) {
  const file = join(dir, name);
  writeFileSync(file, text);
  const emu = await startEmulatorForTest({ apiKey: KEY });
  const sent = await runCli(['send', '--no-config', '--format', 'json', '--base-url', emu.url, file], { env });
  const validated = await runCli(['validate', '--no-config', '--format', 'json', file]);
  const problems = (JSON.parse(validated.stdout) as { problems: ValidateProblem[] }).problems.filter((p) => p.rule === 'json/duplicate-key');
  return { sent, summary: JSON.parse(sent.stdout), rows: emu.rows().map((r) => r.externalRequestId), problems, stats: emu.stats() };
}

describe('send refuses a record with a duplicate key, as validate reports it', () => {
  it('JSONL: the record is one invalid event, not sent; the others are; exit 1', async () => {
    const r = await sendAndValidate('dup.jsonl', [clean('k1'), withDuplicate('k2'), clean('k3')].join('\n') + '\n');
    expect(r.sent.code, r.sent.stderr).toBe(1);
    expect(r.rows).toEqual(['k1', 'k3']);
    expect(r.stats.requests).toBe(2);
    // Three records, three events: the fault is not counted as an event of its own.
    expect(r.summary.outcomes.accepted).toBe(2);
    expect(r.summary.notSent).toMatchObject({ invalid: 1 });
    const column = withDuplicate('k2').lastIndexOf('"inputTokens"') + 1;
    expect(r.problems).toEqual([expect.objectContaining({ line: 2, column, severity: 'error' })]);
    const text = JSON.stringify(r.summary);
    expect(text).toContain(`/inputTokens: key \\"inputTokens\\" appears twice in one object (line 2, column ${column}) [json/duplicate-key]`);
  });

  it('a JSON array and a single-object .json file: the same refusal, the same position as validate', async () => {
    const array = await sendAndValidate('dup-array.json', `[\n  ${clean('a1')},\n  ${withDuplicate('a2')}\n]\n`);
    expect(array.sent.code).toBe(1);
    expect(array.rows).toEqual(['a1']);
    expect(array.summary.notSent).toMatchObject({ invalid: 1 });
    const [p] = array.problems;
    expect(p).toMatchObject({ line: 3, severity: 'error' });
    expect(JSON.stringify(array.summary)).toContain(`(line 3, column ${p!.column}) [json/duplicate-key]`);

    const single = await sendAndValidate('dup-object.json', withDuplicate('o1').replace(/,"/g, ',\n  "') + '\n');
    expect(single.sent.code).toBe(1);
    expect(single.rows).toEqual([]);
    expect(single.stats.requests).toBe(0);
    expect(single.summary.notSent).toMatchObject({ invalid: 1 });
    expect(single.problems).toHaveLength(1);
  });

  it('--dry-run shows the same: the record would not be sent', async () => {
    const file = join(dir, 'dry.jsonl');
    writeFileSync(file, [withDuplicate('d1'), clean('d2')].join('\n') + '\n');
    const r = await runCli(['send', '--no-config', '--dry-run', file], { env });
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).externalRequestId)).toEqual(['d2']);
    expect(r.stderr).toMatch(/1 of 2 events would be sent/);
    expect(r.stderr).toMatch(/dry\.jsonl:1 d1: \/inputTokens: key "inputTokens" appears twice in one object \(line 1, column \d+\) \[json\/duplicate-key\]/);
  });

  it('the rule cannot be turned off, for send as for validate (exit 2)', async () => {
    const file = join(dir, 'off.jsonl');
    writeFileSync(file, withDuplicate('x1') + '\n');
    for (const command of ['send', 'validate']) {
      const r = await runCli([command, '--no-config', '--dry-run', '--rule', 'json/duplicate-key=off', file].filter((a) => command === 'send' || a !== '--dry-run'), { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/rule json\/duplicate-key cannot be configured/);
    }
  });
});
