/**
 * The sender against scripted loopback servers, through the real undici client: every
 * outcome class, retries with the same externalRequestId, Retry-After in both forms,
 * stops on 402 / 401, bounded concurrency, the rate cap, and local refusals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { createClient } from '../../src/ingest/client.js';
import { resolveTarget } from '../../src/ingest/config.js';
import { Sender, type EventResult, type SendItem, type SenderOptions, type SenderHooks } from '../../src/ingest/sender.js';
import { DEFAULT_POLICY } from '../../src/ingest/retry.js';
import { sendItem } from '../helpers/payloads.js';
import { VirtualClock } from '../helpers/virtual-clock.js';
import { acceptingScript, ok, startScriptedServer, type Script, type ScriptedServer } from '../helpers/scripted-server.js';

const catalog = builtinCatalog();
let servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const event = sendItem;
const events = (n: number) => Array.from({ length: n }, (_, i) => event(i + 1));

async function send(
  script: Script,
  items: SendItem[] | AsyncIterable<SendItem>,
  opts: Partial<SenderOptions> & { timeoutMs?: number } = {},
  hooks: SenderHooks = {},
  onSender?: (s: Sender) => void,
) {
  const server = await startScriptedServer(script, opts.clock?.now);
  servers.push(server);
  const client = createClient({ target: resolveTarget({ baseUrl: server.url }, {}), apiKey: 'om_test_key', timeoutMs: opts.timeoutMs ?? 5000, connections: opts.concurrency ?? 4 });
  const results: EventResult[] = [];
  const sender = new Sender(
    { client, catalog, concurrency: 4, policy: { ...DEFAULT_POLICY, baseDelayMs: 20, maxDelayMs: 100 }, random: () => 0.5, ...opts },
    { ...hooks, onResult: (r) => results.push(r) },
  );
  onSender?.(sender);
  try {
    const report = await sender.run(items);
    return { report, results, server, sender };
  } finally {
    await client.close();
  }
}

describe('Sender', () => {
  it('accepts, sends the API key and JSON, and surfaces success-body flags once', async () => {
    const { report, results, server } = await send(
      (r) => (r.index === 0 ? ok({ budgetWarning: true, warnings: ['near limit'] }) : ok({ planTier: 'Starter' })),
      events(5),
    );
    expect(report.outcomes.accepted).toBe(5);
    expect(results.map((r) => r.outcome)).toEqual(Array(5).fill('accepted'));
    expect(server.requests).toHaveLength(5);
    expect(server.requests[0]!.url).toBe('/v1/ingest/llm-request');
    expect(server.requests[0]!.headers['x-api-key']).toBe('om_test_key');
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
    expect(report.accepted.budgetWarning).toBe(1);
    expect(report.accepted.warningCount).toBe(1);
    expect(report.accepted.planTier).toBeDefined();
  });

  it('posts to the demo endpoint when asked', async () => {
    const { server } = await send(() => ok(), events(1), { path: '/v1/ingest/demo' });
    expect(server.requests[0]!.url).toBe('/v1/ingest/demo');
  });

  it('retries a 503 with the same externalRequestId and body, then accepts', async () => {
    const { report, results, server } = await send((r) => (r.index < 2 ? { status: 503, body: 'busy' } : ok()), [event(1)]);
    expect(results).toEqual([expect.objectContaining({ outcome: 'accepted', attempts: 3, status: 200 })]);
    expect(server.requests.map((r) => (r.json as { externalRequestId: string }).externalRequestId)).toEqual(['ext_t_1', 'ext_t_1', 'ext_t_1']);
    expect(new Set(server.requests.map((r) => r.body)).size).toBe(1);
    expect(report.retries).toBe(2);
    expect(report.failedResponses).toBe(2);
  });

  it('gives up after --max-retries on a server that keeps failing', async () => {
    const { report, results, server } = await send(() => ({ status: 503, body: { message: 'down for maintenance' } }), [event(1)], {
      policy: { ...DEFAULT_POLICY, maxRetries: 2, baseDelayMs: 10, maxDelayMs: 20 },
    });
    expect(server.requests).toHaveLength(3);
    expect(results[0]).toMatchObject({ outcome: 'gave-up', status: 503, attempts: 3, message: expect.stringContaining('down for maintenance') });
    expect(report.outcomes['gave-up']).toBe(1);
  });

  it('gives up on a server that never answers (timeout), retrying first', async () => {
    const { results, server } = await send(() => 'hang', [event(1)], { timeoutMs: 300, policy: { ...DEFAULT_POLICY, maxRetries: 1, baseDelayMs: 10 } });
    expect(server.requests).toHaveLength(2);
    expect(results[0]).toMatchObject({ outcome: 'gave-up', attempts: 2, message: expect.stringContaining('no response within 300 ms') });
  });

  it('gives up on a connection closed without a response', async () => {
    const { results } = await send(() => 'destroy', [event(1)], { policy: { ...DEFAULT_POLICY, maxRetries: 1, baseDelayMs: 10 } });
    expect(results[0]).toMatchObject({ outcome: 'gave-up', attempts: 2 });
  });

  it('waits Retry-After given in seconds before retrying', async () => {
    let throttles = 0;
    const { results, server, report } = await send((r) => (r.index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : ok()), [event(1)], { clock: new VirtualClock() }, { onThrottle: () => throttles++ });
    expect(results[0]).toMatchObject({ outcome: 'accepted', attempts: 2 });
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(report.throttledResponses).toBe(1);
    expect(report.throttledEvents).toBe(1);
    expect(throttles).toBe(1);
  });

  it('waits Retry-After given as an HTTP-date', async () => {
    // HTTP-dates have 1 s resolution: ask for "2 s from now" so at least ~1 s remains.
    const clock = new VirtualClock();
    const { results, server } = await send(
      (r) => (r.index === 0 ? { status: 429, headers: { 'retry-after': new Date(clock.now() + 2000).toUTCString() } } : ok()),
      [event(1)],
      { clock },
    );
    expect(results[0]).toMatchObject({ outcome: 'accepted', attempts: 2 });
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('waits 1 s when a 429 has no Retry-After', async () => {
    const { results, server } = await send((r) => (r.index === 0 ? { status: 429 } : ok()), [event(1)], { clock: new VirtualClock() });
    expect(results[0]).toMatchObject({ outcome: 'accepted', attempts: 2 });
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('a 429 holds back every worker, not only the throttled one', async () => {
    const { server } = await send((r) => (r.index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : ok()), events(6), { concurrency: 1, clock: new VirtualClock() });
    // With one worker, everything after the 429 waits for the window.
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(7);
  });

  it('ends as gave-up when throttling outlasts the retries', async () => {
    const { results, server } = await send(() => ({ status: 429, headers: { 'retry-after': '0' } }), [event(1)], { policy: { ...DEFAULT_POLICY, maxRetries: 2 } });
    expect(server.requests).toHaveLength(3);
    expect(results[0]).toMatchObject({ outcome: 'gave-up', status: 429, message: expect.stringContaining('still throttled') });
  });

  it('402 plan_limit_reached pauses: stop issuing, the rest not sent, no retry', async () => {
    const stops: string[] = [];
    const { report, results, server } = await send(
      (r) => (r.index >= 3 ? { status: 402, body: { reason: 'plan_limit_reached', telemetryPaused: true, providerCallsContinue: true } } : ok()),
      events(20),
      { concurrency: 1 },
      { onStop: (reason) => stops.push(reason) },
    );
    expect(server.requests).toHaveLength(4);
    expect(report.outcomes).toMatchObject({ accepted: 3, paused: 1, 'not-sent': 16 });
    expect(report.notSent.stopped).toBe(16);
    expect(report.read).toBe(20);
    expect(results).toHaveLength(20);
    expect(report.stop).toMatchObject({ reason: 'paused', status: 402, serverReason: 'plan_limit_reached' });
    expect(stops).toEqual(['paused']);
  });

  it('402 with another reason is a budget block; in-flight requests still finish and count', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { report, server } = await send(
      async (r) => {
        if (r.index === 0) {
          setTimeout(release, 50);
          return { status: 402, body: { reason: 'budget_exceeded' } };
        }
        await gate;
        await new Promise((res) => setTimeout(res, 100));
        return ok();
      },
      events(30),
      { concurrency: 4 },
    );
    // Four went out together: one blocked, three in flight finished and were accepted.
    expect(server.requests.length).toBe(4);
    expect(report.outcomes).toMatchObject({ blocked: 1, accepted: 3, 'not-sent': 26 });
    expect(report.stop).toMatchObject({ reason: 'blocked', serverReason: 'budget_exceeded' });
  });

  it('401 stops the run as unauthorized', async () => {
    const { report, server } = await send(() => ({ status: 401, body: { message: 'invalid API key' } }), events(10), { concurrency: 1 });
    expect(server.requests).toHaveLength(1);
    expect(report.outcomes).toMatchObject({ unauthorized: 1, 'not-sent': 9 });
    expect(report.stop).toMatchObject({ reason: 'unauthorized', status: 401, message: 'invalid API key' });
  });

  it('400 is rejected with the server message, not retried, and the run goes on', async () => {
    const { report, results, server } = await send(
      (r) => (r.index === 1 ? { status: 400, body: { ok: false, errors: [{ pointer: '/model', message: 'unknown model' }] } } : ok()),
      events(3),
      { concurrency: 1 },
    );
    expect(server.requests).toHaveLength(3);
    expect(report.outcomes).toMatchObject({ accepted: 2, rejected: 1 });
    expect(results.find((r) => r.outcome === 'rejected')).toMatchObject({ status: 400, message: '/model: unknown model', attempts: 1 });
    expect(report.samples.rejected).toHaveLength(1);
  });

  it('never has more than --concurrency requests in flight', async () => {
    const { report, server } = await send(
      async () => {
        await new Promise((r) => setTimeout(r, 20));
        return ok();
      },
      events(40),
      { concurrency: 3 },
    );
    expect(report.outcomes.accepted).toBe(40);
    expect(server.maxConcurrent()).toBeLessThanOrEqual(3);
    expect(server.maxConcurrent()).toBeGreaterThan(1);
  });

  it('--rate spaces requests out', async () => {
    const { server } = await send(() => ok(), events(6), { rate: 10, concurrency: 6 });
    const span = server.requests[5]!.at - server.requests[0]!.at;
    expect(span).toBeGreaterThanOrEqual(5 * 100 - 30);
  });

  it('refuses dataMode real or absent without allowReal, and sends it with allowReal', async () => {
    const items = [event(1, { dataMode: 'real', environment: 'prod' }), event(2, { dataMode: undefined, environment: undefined }), event(3)];
    const refused = await send(() => ok(), items);
    expect(refused.server.requests).toHaveLength(1);
    expect(refused.report.notSent['real-data']).toBe(2);
    expect(refused.results.filter((r) => r.outcome === 'not-sent').map((r) => r.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('dataMode is "real"'), expect.stringContaining('absent')]),
    );
    const allowed = await send(() => ok(), items, { allowReal: true });
    expect(allowed.server.requests).toHaveLength(3);
    expect(allowed.report.outcomes.accepted).toBe(3);
  });

  it('validates locally: invalid payloads and unreadable records are not sent', async () => {
    const items: SendItem[] = [event(1, { inputTokens: '10' }), { value: undefined, readError: 'bad JSON (line 2, column 3)', where: 'f.jsonl:2' }, event(3)];
    const { report, results, server } = await send(() => ok(), items);
    expect(server.requests).toHaveLength(1);
    expect(report.notSent.invalid).toBe(2);
    expect(results.find((r) => r.externalRequestId === 'ext_t_1')).toMatchObject({ outcome: 'not-sent', notSentReason: 'invalid', message: expect.stringContaining('/inputTokens') });
  });

  it('skips events the journal already holds as accepted', async () => {
    const { report, server } = await send(() => ok(), events(5), { alreadyAccepted: new Set(['ext_t_2', 'ext_t_4']) });
    expect(server.requests.map((r) => (r.json as { externalRequestId: string }).externalRequestId).sort()).toEqual(['ext_t_1', 'ext_t_3', 'ext_t_5']);
    expect(report.skipped).toBe(2);
  });

  it('a dry run is the same sender: the same local decisions and counts, the events to send in input order, no client', async () => {
    const items: SendItem[] = [
      event(1, { inputTokens: '10' }),
      { value: undefined, readError: 'bad JSON (line 2, column 3)', where: 'f.jsonl:2' },
      event(3, { dataMode: 'real', environment: 'prod' }),
      event(4),
      event(5, { externalRequestId: undefined }),
      event(6, { promptVersion: undefined }),
      event(7),
    ];
    const alreadyAccepted = new Set(['ext_t_7']);
    const real = await send(() => ok(), items, { alreadyAccepted });
    const printed: unknown[] = [];
    const dry = await new Sender({ catalog, concurrency: 4, alreadyAccepted, dryRun: (v) => void printed.push(v) }).run(items);
    expect(printed.map((v) => JSON.stringify(v)).sort()).toEqual(real.server.requests.map((r) => r.body).sort());
    expect(printed).toEqual([items[3]!.value, items[4]!.value, items[5]!.value]);
    for (const k of ['read', 'skipped', 'notSent', 'eventsWithLintWarnings', 'eventsWithoutId', 'samples'] as const) expect(dry[k], k).toEqual(real.report[k]);
    expect(dry.outcomes['not-sent']).toBe(real.report.outcomes['not-sent']);
    expect(dry.requests).toBe(0);
    expect(() => new Sender({ catalog, concurrency: 1 })).toThrow(/client or a dryRun/);
  });

  it('does not retry an ambiguous failure for an event without externalRequestId', async () => {
    const { results, server } = await send(() => ({ status: 503 }), [event(1, { externalRequestId: undefined })]);
    expect(server.requests).toHaveLength(1);
    expect(results[0]).toMatchObject({ outcome: 'gave-up', message: expect.stringContaining('no externalRequestId') });
  });

  it('stop("interrupted") lets in-flight requests finish and reads no further input', async () => {
    const accept = acceptingScript();
    let pulled = 0;
    async function* many(): AsyncGenerator<SendItem> {
      for (let i = 1; i <= 1000; i++) {
        pulled++;
        yield event(i);
      }
    }
    let sender: Sender | undefined;
    const { report, results, server } = await send(
      async (r) => {
        if (r.index === 10) sender!.stop('interrupted');
        await new Promise((res) => setTimeout(res, 30));
        return accept(r);
      },
      many(),
      { concurrency: 2 },
      {},
      (s) => (sender = s),
    );
    expect(report.interrupted).toBe(true);
    expect(report.stop).toEqual({ reason: 'interrupted' });
    expect(report.inputLeftUnread).toBe(true);
    expect(pulled).toBeLessThan(20);
    // Everything that reached the server was answered and counted as accepted.
    expect(server.requests.length).toBeGreaterThanOrEqual(11);
    expect(report.outcomes.accepted).toBe(server.requests.length);
    expect(results.length).toBe(report.read);
  });

  it('stop("interrupted") ends an event waiting to retry as not-sent', async () => {
    let sender: Sender | undefined;
    const { report, results } = await send(
      (r) => {
        if (r.index === 0) setTimeout(() => sender!.stop('interrupted'), 100);
        return { status: 429, headers: { 'retry-after': '30' } };
      },
      [event(1)],
      {},
      {},
      (s) => (sender = s),
    );
    expect(results).toEqual([expect.objectContaining({ outcome: 'not-sent', notSentReason: 'stopped', status: 429, attempts: 1 })]);
    expect(report.notSent.stopped).toBe(1);
  });
});
