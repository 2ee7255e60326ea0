#!/usr/bin/env node
/**
 * Writes the constructed report pages of fixtures/reconcile/ (fixtures/reconcile/SOURCES.md):
 * provider usage reports in the shape of the vendors' own examples, holding the figures of
 * the import of sample logs of fixtures/import/, so that `opsmeter reconcile` can be shown
 * (and tested) matching, and missing half of a day.
 *
 *   npm run build && node scripts/reconcile-fixtures.mjs
 *
 * - OpenAI: the import of fixtures/import/openai-batch/batch_68c3a1e9f0b48190_output.jsonl and
 *   fixtures/import/openai-log/app-completions.jsonl, as Usage API completions pages grouped by
 *   model (two pages, two files), models under the dated ids OpenAI reports;
 * - Anthropic: the import of fixtures/import/claude-code/projects, as a usage report grouped by
 *   model, input split the way Anthropic splits it (uncached, cache reads, cache writes).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'fixtures', 'reconcile');
const DAY = 86_400;

function imported(args) {
  const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'opsmeter.js'), 'import', ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Per UTC day, per model as the vendor names it: the sums a usage report holds. */
function sums(payloads, provider, vendorModel) {
  const days = new Map();
  for (const p of payloads) {
    if (p.provider !== provider || p.createdAt === undefined || p.model === 'unknown') continue;
    const day = p.createdAt.slice(0, 10);
    if (!days.has(day)) days.set(day, new Map());
    const model = vendorModel(p);
    const m = days.get(day);
    if (!m.has(model)) m.set(model, { requests: 0, input: 0, cached: 0, writes: 0, output: 0 });
    const s = m.get(model);
    // A failed call without usage never reached the model: OpenAI counts no request for it.
    if (!(p.status === 'error' && p.inputTokens === undefined && p.outputTokens === undefined)) s.requests++;
    s.input += p.inputTokens ?? 0;
    s.cached += p.metadata?.cachedInputTokens ?? 0;
    s.writes += p.metadata?.cacheWriteTokens ?? 0;
    s.output += p.outputTokens ?? 0;
  }
  return days;
}

const unix = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;
const write = (name, value) => writeFileSync(join(OUT, name), JSON.stringify(value, null, 2) + '\n');

// ---- OpenAI Usage API, completions, group_by=model ----
const openai = imported(['fixtures/import/openai-batch/batch_68c3a1e9f0b48190_output.jsonl', 'fixtures/import/openai-log/app-completions.jsonl']);
// OpenAI reports the dated snapshot a request ran on; a call logged under the alias ran on the dated id of its family here.
const dated = new Map();
for (const p of openai) {
  const logged = p.metadata?.loggedModel ?? p.model;
  const family = logged.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  if (logged !== family) dated.set(family, logged);
}
const openaiDays = sums(openai, 'openai', (p) => {
  const logged = p.metadata?.loggedModel ?? p.model;
  return dated.get(logged) ?? logged;
});

function openaiResult(model, s, factor) {
  return {
    object: 'organization.usage.completions.result',
    input_tokens: s.input * factor,
    input_cached_tokens: s.cached * factor,
    input_cache_write_tokens: s.writes * factor,
    input_uncached_tokens: (s.input - s.cached - s.writes) * factor,
    output_tokens: s.output * factor,
    num_model_requests: s.requests * factor,
    project_id: null,
    user_id: null,
    api_key_id: null,
    model,
    batch: null,
    service_tier: null,
  };
}

function openaiPage(days, hasMore, factorOf = () => 1) {
  return {
    object: 'page',
    data: days.map((day) => ({
      object: 'bucket',
      start_time: unix(day),
      end_time: unix(day) + DAY,
      results: [...(openaiDays.get(day) ?? new Map())].sort(([a], [b]) => (a < b ? -1 : 1)).map(([model, s]) => openaiResult(model, s, factorOf(day))),
    })),
    has_more: hasMore,
    next_page: hasMore ? 'page_AAAAAGjDSIAAAAAAaMSaAA==' : null,
  };
}

write('openai-usage-2025-09-page-1.json', openaiPage(['2025-09-12', '2025-09-13'], true));
write('openai-usage-2025-09-page-2.json', openaiPage(['2025-09-14'], false));
// The same page 2 as if the logs had missed half of 14 September: OpenAI metered twice what was imported.
write('openai-usage-2025-09-page-2-half-missing.json', openaiPage(['2025-09-14'], false, () => 2));

// ---- Anthropic usage report, group_by[]=model ----
const claude = imported(['fixtures/import/claude-code/projects', '--from', 'claude-code']);
// Claude Code's fast-mode calls are imported as "<model>-fast"; Anthropic reports them under the model.
const anthropicDays = sums(claude, 'anthropic', (p) => (p.metadata?.speed === 'fast' ? p.model.replace(/-fast$/, '') : p.model));
const anthropicDaysSorted = [...anthropicDays.keys()].sort();
write('anthropic-usage-2025-09.json', {
  data: anthropicDaysSorted.map((day) => ({
    starting_at: `${day}T00:00:00Z`,
    ending_at: new Date((unix(day) + DAY) * 1000).toISOString().replace('.000Z', 'Z'),
    results: [...anthropicDays.get(day)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([model, s]) => ({
        uncached_input_tokens: s.input - s.cached - s.writes,
        cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: s.writes },
        cache_read_input_tokens: s.cached,
        output_tokens: s.output,
        server_tool_use: { web_search_requests: 0 },
        api_key_id: null,
        workspace_id: null,
        model,
        service_tier: null,
        context_window: null,
      })),
  })),
  has_more: false,
  next_page: null,
});
console.log(`wrote ${OUT}: openai-usage-2025-09-page-{1,2,2-half-missing}.json, anthropic-usage-2025-09.json`);
