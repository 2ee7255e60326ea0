/**
 * The catalog and its explicit model-name mapping rules: each rule with real names from
 * provider logs, the order they apply in, and — as important — names that must NOT map
 * (no substring or prefix guessing: an unmapped model stays unknown).
 */
import { describe, expect, it, vi } from 'vitest';
import { builtinCatalog, catalogFromJson, Catalog, type MappingRule } from '../../src/contract/catalog.js';
import { SNAPSHOT_DATE, SNAPSHOT_ROWS } from '../../src/contract/catalog-snapshot.js';

const cat = builtinCatalog();

describe('built-in snapshot', () => {
  it('is dated, non-trivial and every row names its source', () => {
    expect(SNAPSHOT_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(cat.size).toBeGreaterThan(300);
    expect(cat.date).toBe(SNAPSHOT_DATE);
    for (const r of SNAPSHOT_ROWS) expect(r[6]).toMatch(/\S/);
  });
  it('holds the ids the official payloads and the docs use', () => {
    expect(cat.get('openai', 'gpt-4o-mini')).toBeDefined();
    expect(cat.get('anthropic', 'claude-3-5-sonnet-20241022')).toBeDefined();
    expect(cat.get('openai', 'gpt-4-1')).toBeDefined();
    for (const p of ['openai', 'anthropic', 'google', 'aws-bedrock', 'azure-openai', 'mistral']) expect(cat.hasProvider(p)).toBe(true);
  });
  it('no duplicate (provider, model) rows', () => {
    const keys = SNAPSHOT_ROWS.map((r) => r[0] + '\u0000' + r[1]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('resolveProvider', () => {
  it.each([
    ['openai', 'openai'],
    ['OpenAI', 'openai'],
    [' anthropic ', 'anthropic'],
    ['open-ai', 'openai'],
    ['azure', 'azure-openai'],
    ['azure_openai', 'azure-openai'],
    ['bedrock', 'aws-bedrock'],
    ['Amazon-Bedrock', 'aws-bedrock'],
    ['gemini', 'google'],
    ['vertex_ai', 'google'],
    ['mistralai', 'mistral'],
    ['x-ai', 'xai'],
  ])('%j → %s', (logged, id) => {
    expect(cat.resolveProvider(logged)).toBe(id);
  });
  it.each(['acme', 'openai-compatible', 'opn', ''])('%j stays unknown', (logged) => {
    expect(cat.resolveProvider(logged)).toBeUndefined();
  });
});

describe('resolveModel: each mapping rule with real names', () => {
  const cases: [string, string, string, MappingRule][] = [
    // exact: already a catalog id (dated snapshots are ids of their own).
    ['openai', 'gpt-4o-mini', 'gpt-4o-mini', 'exact'],
    ['openai', 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini-2024-07-18', 'exact'],
    ['aws-bedrock', 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'exact'],
    ['openrouter', 'anthropic/claude-3-5-haiku', 'anthropic/claude-3-5-haiku', 'exact'],
    // case: trimmed and lower-cased.
    ['openai', 'GPT-4o-Mini', 'gpt-4o-mini', 'case'],
    ['openai', ' gpt-4o ', 'gpt-4o', 'case'],
    // route-prefix: LiteLLM/OpenRouter-style routes and Gemini's "models/" prefix.
    ['openai', 'openai/gpt-4o', 'gpt-4o', 'route-prefix'],
    ['azure-openai', 'azure/eu/gpt-4o-mini', 'gpt-4o-mini', 'route-prefix'],
    ['google', 'models/gemini-2-5-flash', 'gemini-2-5-flash', 'route-prefix'],
    // version-suffix: Vertex AI's model versions.
    ['google', 'gemini-1-5-flash-002@default', 'gemini-1-5-flash-002', 'version-suffix'],
    ['google', 'gemini-2.0-flash-001@default', 'gemini-2-0-flash-001', 'dots-to-hyphens'],
    // bedrock-region: cross-region inference profiles.
    ['aws-bedrock', 'jp.anthropic.claude-3-haiku-20240307-v1:0', 'anthropic.claude-3-haiku-20240307-v1:0', 'bedrock-region'],
    ['aws-bedrock', 'us-gov.anthropic.claude-3-haiku-20240307-v1:0', 'anthropic.claude-3-haiku-20240307-v1:0', 'bedrock-region'],
    // dots-to-hyphens: the catalog writes versions with hyphens.
    ['openai', 'gpt-4.1', 'gpt-4-1', 'dots-to-hyphens'],
    ['openai', 'gpt-4.1-2025-04-14', 'gpt-4-1-2025-04-14', 'dots-to-hyphens'],
    ['google', 'gemini-2.5-pro', 'gemini-2-5-pro', 'dots-to-hyphens'],
    ['google', 'models/gemini-1.5-pro', 'gemini-1-5-pro', 'dots-to-hyphens'],
    ['anthropic', 'Claude-Sonnet-4.5', 'claude-sonnet-4-5', 'dots-to-hyphens'],
    // date-suffix: a dated snapshot the catalog only knows undated.
    ['openai', 'gpt-4o-mini-20240718', 'gpt-4o-mini', 'date-suffix'],
    ['anthropic', 'claude-sonnet-4-5-20251231', 'claude-sonnet-4-5', 'date-suffix'],
    ['openai', 'gpt-4.1-mini-2099-01-01', 'gpt-4-1-mini', 'date-suffix'],
  ];
  it.each(cases)('%s %j → %s (%s)', (provider, logged, model, rule) => {
    expect(cat.resolveModel(provider, logged)).toEqual({ model, rule });
  });

  it('every rule in MappingRule is exercised above', () => {
    const rules: MappingRule[] = ['exact', 'case', 'route-prefix', 'version-suffix', 'dots-to-hyphens', 'date-suffix', 'bedrock-region'];
    expect(new Set(cases.map((c) => c[3]))).toEqual(new Set(rules));
  });

  it.each([
    // Substring/prefix guesses that a fuzzy matcher would make — and must not.
    ['openai', 'gpt-4o-mini-foo'],
    ['openai', 'my-gpt-4o'],
    ['openai', 'gpt-4o-mini-2024'], // not a full date
    ['openai', 'gpt4o'],
    ['openai', 'gpt-4o-mini-ft-acme'],
    ['openai', 'ft:gpt-4o-mini:acme::abc123'],
    ['anthropic', 'claude-sonnet'], // no such id; a family name does not pick a version
    ['anthropic', 'claude'],
    ['google', 'gemini'],
    // Bedrock and OpenRouter ids keep their dots and routes.
    ['aws-bedrock', 'anthropic.claude-3.5-sonnet'],
    ['aws-bedrock', 'xx.anthropic.claude-3-haiku-20240307-v1:0'],
    ['openrouter', 'google/gemini-2-5-pro'], // the slug is google/gemini-2.5-pro
    ['openrouter', 'claude-3-5-haiku'],
    // A known model under the wrong provider is not re-homed.
    ['anthropic', 'gpt-4o-mini'],
    ['acme', 'gpt-4o-mini'],
  ])('%s %j stays unknown', (provider, logged) => {
    expect(cat.resolveModel(provider, logged)).toBeUndefined();
  });
});

describe('suggestions ("did you mean")', () => {
  it('prefer the rule-based mapping', () => {
    expect(cat.suggestModel('openai', 'gpt-4.1')).toBe('gpt-4-1');
    expect(cat.suggestModel('google', 'models/gemini-1.5-pro')).toBe('gemini-1-5-pro');
  });
  it('fall back to a near spelling with the same version digits', () => {
    expect(cat.suggestModel('openai', 'gpt-4o-mimi')).toBe('gpt-4o-mini');
    expect(cat.suggestModel('openai', 'gpt4o')).toBe('gpt-4o');
    expect(cat.suggestModel('anthropic', 'claude-3-5-sonet-latest')).toBe('claude-3-5-sonnet-latest');
  });
  it('never suggest a different version (a different model at a different price)', () => {
    // "openai/gpt-4o-mini" is only one edit away, but it is another model.
    expect(cat.suggestModel('openrouter', 'openai/gpt-3o-mini')).toBeUndefined();
    expect(cat.suggestModel('openai', 'gpt-3o-mini')).toBeUndefined();
    expect(cat.suggestModel('openai', 'gpt-4o-mini-acme')).toBeUndefined();
  });
  it('providers: alias first, then a near spelling', () => {
    expect(cat.suggestProvider('open-ai')).toBe('openai');
    expect(cat.suggestProvider('antrhopic')).toBe('anthropic');
    expect(cat.suggestProvider('acme-llm')).toBeUndefined();
  });
  it('are worked out once per (provider, model) and answered the same afterwards', () => {
    const fresh = new Catalog(cat.list(), SNAPSHOT_DATE, 'test');
    const resolveModel = vi.spyOn(fresh, 'resolveModel');
    const resolveProvider = vi.spyOn(fresh, 'resolveProvider');
    for (let i = 0; i < 5; i++) {
      expect(fresh.suggestModel('openai', 'gpt-4o-mimi')).toBe('gpt-4o-mini');
      expect(fresh.suggestModel('openai', 'gpt-4o-mini-acme')).toBeUndefined(); // "no suggestion" is remembered too
      expect(fresh.suggestModel('anthropic', 'gpt-4o-mimi')).toBeUndefined(); // per provider
      expect(fresh.suggestProvider('antrhopic')).toBe('anthropic');
    }
    expect(resolveModel).toHaveBeenCalledTimes(3);
    expect(resolveProvider).toHaveBeenCalledTimes(1);
  });
});

describe('estimateUsd', () => {
  it('prices input and output per 1M tokens', () => {
    // gpt-4o-mini: $0.15 in, $0.60 out, cache reads $0.075.
    expect(cat.estimateUsd('openai', 'gpt-4o-mini', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBeCloseTo(0.75, 10);
    expect(cat.estimateUsd('openai', 'gpt-4o-mini', { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 500_000 })).toBeCloseTo(0.1125, 10);
  });
  it('cache writes fall back to the input price when no write price is known', () => {
    expect(cat.estimateUsd('openai', 'gpt-4o-mini', { inputTokens: 1_000_000, cacheWriteTokens: 1_000_000 })).toBeCloseTo(0.15, 10);
  });
  it('unknown model → undefined, never $0', () => {
    expect(cat.estimateUsd('openai', 'gpt-4o-mini-foo', { inputTokens: 1 })).toBeUndefined();
  });
});

describe('catalogFromJson (--catalog FILE)', () => {
  it('reads {date, models:[...]} and a bare array', () => {
    const a = catalogFromJson({ date: '2026-01-31', models: [{ provider: 'acme', model: 'acme-1', inputPer1M: 1, outputPer1M: 2 }] }, 'a.json');
    expect(a.date).toBe('2026-01-31');
    expect(a.source).toBe('a.json');
    expect(a.get('acme', 'acme-1')).toMatchObject({ inputPer1M: 1, outputPer1M: 2, cacheReadPer1M: null, source: 'a.json' });
    const b = catalogFromJson([{ provider: 'acme', model: 'acme-2', inputPrice: 3, outputPrice: 4 }], 'b.json');
    expect(b.date).toBe('unknown date');
    expect(b.get('acme', 'acme-2')).toMatchObject({ inputPer1M: 3, outputPer1M: 4 });
  });
  it('refuses shapes it cannot use, naming the file and the entry', () => {
    expect(() => catalogFromJson({ foo: 1 }, 'x.json')).toThrow('x.json: expected an array of {provider, model} entries or {"models": [...]}');
    expect(() => catalogFromJson([{ provider: 'acme' }], 'x.json')).toThrow('x.json: entry 0 needs string "provider" and "model"');
    expect(() => catalogFromJson(null, 'x.json')).toThrow('x.json');
  });
  it.each([-1, -0.01, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, '1.5', true])('refuses a price of %s, naming the entry and field', (bad) => {
    expect(() => catalogFromJson([{ provider: 'acme', model: 'acme-1', inputPer1M: 1, outputPer1M: bad }], 'x.json')).toThrow(
      /^x\.json: entry 0 \(acme\/acme-1\): outputPer1M must be a price in USD per 1M tokens, 0 or more, or null when unknown; got /,
    );
    expect(() => catalogFromJson([{ provider: 'acme', model: 'acme-1', cacheWritePer1M: bad }], 'x.json')).toThrow(/cacheWritePer1M must be a price/);
  });
  it('a price of 0 or null (unknown) is fine', () => {
    expect(catalogFromJson([{ provider: 'acme', model: 'free', inputPer1M: 0, outputPer1M: null }], 'x.json').get('acme', 'free')).toMatchObject({ inputPer1M: 0, outputPer1M: null });
  });
  it('is independent of the built-in snapshot', () => {
    const c = new Catalog([], 'd', 's');
    expect(c.hasProvider('openai')).toBe(false);
    expect(c.resolveModel('openai', 'gpt-4o')).toBeUndefined();
  });
});
