/**
 * An import worker thread loads only its run's adapter, from `adapters/<id>.ts`
 * (src/importers/worker.ts): every adapter that may run in the threads is found there by its id.
 */
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../src/importers/adapters/index.js';

describe('adapters the worker threads load by id', () => {
  const independent = ADAPTERS.filter((a) => a.independent);

  it('are the ones the docs name', () => {
    expect(independent.map((a) => a.id).sort()).toEqual(['anthropic-batch', 'csv', 'jsonl', 'litellm', 'openai-batch', 'opencode', 'openrouter', 'otel']);
  });

  it.each(independent.map((a) => [a.id, a] as const))('%s is the `adapter` of adapters/%s', async (id, adapter) => {
    const mod = (await import(`../../src/importers/adapters/${id}.ts`)) as { adapter?: unknown };
    expect(mod.adapter).toBe(adapter);
  });
});
