/** `opsmeter catalog` (list, filters, --json) and `catalog --fetch` against scripted servers. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { scriptedServers } from '../helpers/scripted-server.js';
import { catalogFromJson } from '../../src/contract/catalog.js';
import { SNAPSHOT_DATE } from '../../src/contract/catalog-snapshot.js';
import { normalizePricing, PricingShapeError } from '../../src/ingest/pricing.js';

const servers = scriptedServers();
const server = servers.start;
/** Each test gets its own cache directory, so a fetch never leaks into other tests. */
function cacheEnv() {
  const home = mkdtempSync(join(tmpdir(), 'opsmeter-cache-'));
  return { env: { XDG_CACHE_HOME: home }, cacheFile: join(home, 'opsmeter', 'catalog.json') };
}

const PRICING = {
  date: '2026-02-06',
  models: [
    { provider: 'openai', model: 'gpt-4o-mini', inputPer1M: 0.15, outputPer1M: 0.6 },
    { provider: 'acme', model: 'acme-large-1', inputPer1M: 1, outputPer1M: 3 },
  ],
};

describe('opsmeter catalog (list)', () => {
  it('lists the built-in snapshot with its date and source', async () => {
    const { env } = cacheEnv();
    const r = await runCli(['catalog'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^catalog: built-in snapshot, ${SNAPSHOT_DATE} · \\d+ models`));
    expect(r.stdout).toMatch(/openai\s+gpt-4o-mini\s+0\.15\s+0\.6/);
  });

  it('filters by provider (aliases resolved) and search text', async () => {
    const { env } = cacheEnv();
    const r = await runCli(['catalog', '--provider', 'OpenAI', '--search', '4O-MINI'], { env });
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(2);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/^openai\s+\S*4o-mini/);
    const none = await runCli(['catalog', '--search', 'no-such-model-xyz'], { env });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('(no model matches)');
  });

  it('an unknown provider is a usage error with a suggestion', async () => {
    const { env } = cacheEnv();
    const r = await runCli(['catalog', '--provider', 'opena'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('provider "opena" is not in the catalog');
    expect(r.stderr).toContain('did you mean "openai"?');
  });

  it('--json prints a catalog file opsmeter itself can read', async () => {
    const { env } = cacheEnv();
    const r = await runCli(['catalog', '--json', '--provider', 'anthropic'], { env });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.date).toBe(SNAPSHOT_DATE);
    expect(j.models.every((m: { provider: string }) => m.provider === 'anthropic')).toBe(true);
    expect(catalogFromJson(j, 'out').size).toBe(j.models.length);
  });

  it('--catalog FILE lists that file', async () => {
    const { env } = cacheEnv();
    const f = join(mkdtempSync(join(tmpdir(), 'opsmeter-cat-')), 'mine.json');
    writeFileSync(f, JSON.stringify(PRICING));
    const r = await runCli(['catalog', '--catalog', f], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`catalog: ${f}, 2026-02-06 · 2 models`);
  });
});

describe('opsmeter catalog --fetch', () => {
  it('fetches the pricing models into the cache, which later commands use', async () => {
    const { env, cacheFile } = cacheEnv();
    const s = await server(() => ({ status: 200, body: PRICING }));
    const r = await runCli(['catalog', '--fetch', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    expect(s.requests[0]).toMatchObject({ method: 'GET', url: '/v1/public/pricing-models' });
    expect(r.stderr).toContain('fetched 2 models from 2 providers (2026-02-06)');
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8'));
    expect(cached).toMatchObject({ date: '2026-02-06', source: `${s.url}/v1/public/pricing-models`, models: [expect.objectContaining({ provider: 'openai', model: 'gpt-4o-mini' }), expect.anything()] });

    const list = await runCli(['catalog'], { env });
    expect(list.stdout).toContain(`fetched from ${s.url}/v1/public/pricing-models`);
    expect(list.stdout).toContain('acme-large-1');

    // validate now knows the fetched provider.
    const payload = { externalRequestId: 'x1', provider: 'acme', model: 'acme-large-1', status: 'success', inputTokens: 1, outputTokens: 1, promptVersion: 'v', endpointTag: 't', latencyMs: 1 };
    const v = await runCli(['validate', '--format', 'json', '-'], { env, input: JSON.stringify(payload) });
    expect(v.stdout).not.toContain('catalog/unknown-provider');
  });

  it('accepts common response shapes: a bare array, {data}, {items} with other field names', async () => {
    for (const body of [
      PRICING.models,
      { data: PRICING.models },
      { items: [{ providerId: 'openai', modelId: 'gpt-4-1', inputPrice: '2', outputPrice: 8, effectiveFrom: '2026-02-06' }] },
    ]) {
      const { env, cacheFile } = cacheEnv();
      const s = await server(() => ({ status: 200, body }));
      const r = await runCli(['catalog', '--fetch', '--base-url', s.url], { env });
      expect(r.code, JSON.stringify(body)).toBe(0);
      expect(catalogFromJson(JSON.parse(readFileSync(cacheFile, 'utf8')), 'cache').size).toBeGreaterThan(0);
    }
  });

  it('refuses an unknown shape with a clear message and keeps the old cache', async () => {
    const { env, cacheFile } = cacheEnv();
    const good = await server(() => ({ status: 200, body: PRICING }));
    expect((await runCli(['catalog', '--fetch', '--base-url', good.url], { env })).code).toBe(0);
    const before = readFileSync(cacheFile, 'utf8');
    const bad = await server(() => ({ status: 200, body: { pricing: { openai: {} } } }));
    const r = await runCli(['catalog', '--fetch', '--base-url', bad.url], { env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('an object with keys "pricing"');
    expect(r.stderr).toContain('left unchanged');
    expect(readFileSync(cacheFile, 'utf8')).toBe(before);
  });

  it('network errors and HTTP errors exit 5 and write nothing', async () => {
    const { env, cacheFile } = cacheEnv();
    const url = await servers.deadUrl();
    const r = await runCli(['catalog', '--fetch', '--max-retries', '0', '--base-url', url], { env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('connection refused');
    const e500 = await server(() => ({ status: 500, body: 'boom' }));
    const r2 = await runCli(['catalog', '--fetch', '--max-retries', '1', '--base-url', e500.url], { env });
    expect(r2.code).toBe(5);
    expect(e500.requests).toHaveLength(2);
    const e404 = await server(() => ({ status: 404, body: 'Not Found' }));
    const r3 = await runCli(['catalog', '--fetch', '--base-url', e404.url], { env });
    expect(r3.code).toBe(5);
    expect(r3.stderr).toContain('HTTP 404');
    expect(existsSync(cacheFile)).toBe(false);
  });

  it('--fetch does not combine with listing flags', async () => {
    const { env } = cacheEnv();
    const r = await runCli(['catalog', '--fetch', '--json'], { env });
    expect(r.code).toBe(2);
  });
});

describe('normalizePricing', () => {
  const at = new Date('2026-03-01T00:00:00Z');
  it('takes the date from the response, else the latest effectiveFrom, else today', () => {
    expect(normalizePricing({ asOf: '2026-01-01', models: PRICING.models }, 'u', at).date).toBe('2026-01-01');
    expect(normalizePricing([{ provider: 'p', model: 'm', effectiveFrom: '2026-02-06T00:00:00Z' }, { provider: 'p', model: 'n', effectiveFrom: '2025-01-01' }], 'u', at).date).toBe('2026-02-06');
    expect(normalizePricing([{ provider: 'p', model: 'm' }], 'u', at).date).toBe('2026-03-01');
  });
  it('refuses entries without provider/model, empty lists and non-objects', () => {
    expect(() => normalizePricing([{ provider: 'p' }], 'u', at)).toThrow(/entry 0 has no string "provider" and "model"/);
    expect(() => normalizePricing({ models: [] }, 'u', at)).toThrow(/no models/);
    expect(() => normalizePricing('x', 'u', at)).toThrow(PricingShapeError);
    expect(() => normalizePricing(null, 'u', at)).toThrow(/null/);
  });
  it('reads prices given as numbers or numeric strings; absent is unknown (null)', () => {
    const m = normalizePricing([{ provider: 'p', model: 'm', inputPer1M: '1.5', outputPer1M: 2, cacheReadPer1M: null }], 'u', at).models[0]!;
    expect(m).toMatchObject({ inputPer1M: 1.5, outputPer1M: 2, cacheReadPer1M: null, cacheWritePer1M: null });
  });
  it.each([-1, '-1', 'x', Number.POSITIVE_INFINITY, Number.NaN, true, {}])('refuses a price of %s (the cache is left alone)', (bad) => {
    expect(() => normalizePricing([{ provider: 'p', model: 'm', inputPer1M: 1, outputPer1M: bad }], 'u', at)).toThrow(/pricing entry 0 \(p\/m\) has a price that is not a number 0 or more/);
  });
});
