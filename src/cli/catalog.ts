/**
 * `opsmeter catalog` — the provider/model ids opsmeter checks payloads against, with the
 * list prices in force today from the same source and call the import's estimates use
 * (src/prices/); `--fetch` refreshes the ids from GET /v1/public/pricing-models into the
 * user cache (which validate, import and send then prefer over the built-in snapshot).
 */
import { readFileSync } from 'node:fs';
import type { TieredPrices } from '@pydantic/genai-prices';
import type { Command } from 'commander';
import type { Catalog, CatalogEntry } from '../contract/catalog.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { paint, useColor } from './output.js';
import { catalogCachePath, catalogOption, formatOption, intArg, jsonAliasOption, jsonFormat, loadCatalog, refuseApiKeyOption, targetFromFlags } from './shared.js';

interface CatalogFlags {
  provider?: string;
  search?: string;
  json?: boolean;
  format?: string;
  fetch?: boolean;
  catalog?: string;
  baseUrl?: string;
  apiKeyFile?: string;
  allowInsecure?: boolean;
  timeout: number;
  maxRetries: number;
}

export function defineCommand(cmd: Command): void {
  cmd
    .option('--provider <id>', 'only this provider')
    .option('--search <text>', 'only models whose id contains this text (case-insensitive; "gpt-4.1" also finds the catalog\'s "gpt-4-1")')
    .addOption(formatOption('output format (json: the filtered catalog)'))
    .addOption(jsonAliasOption())
    .addOption(refuseApiKeyOption())
    .option('--fetch', 'download GET /v1/public/pricing-models into the local cache')
    .addOption(catalogOption())
    .option('--base-url <url>', 'API base URL for --fetch (default: OPSMETER_API_BASE_URL, else https://api.opsmeter.io)')
    .option('--api-key-file <file>', 'API key for --fetch, if the endpoint wants one (otherwise OPSMETER_API_KEY, if set)')
    .option('--allow-insecure', 'allow plain http:// to a host that is not this machine')
    .option('--timeout <ms>', 'request timeout in ms for --fetch', intArg('--timeout', 1), 10_000)
    .option('--max-retries <n>', 'retries for --fetch', intArg('--max-retries', 0), 2)
    .addHelpText('after', `\nThe cache lives at ${catalogCachePath()}.\nExit codes: 0 ok, 2 usage or IO error, 5 fetch failed (network, HTTP error or an unusable response).\nExamples:\n  opsmeter catalog --provider openai --search 4o\n  opsmeter catalog --fetch`)
    .action(async (flags: CatalogFlags) => {
      process.exitCode = flags.fetch ? await runFetch(flags) : await runList(flags);
    });
}

function fmtPrice(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return Number(n.toFixed(4)).toString();
}

type ListPrice = {
  inputPer1M: number | null;
  outputPer1M: number | null;
  cacheReadPer1M: number | null;
  cacheWritePer1M: number | null;
  /** Input tokens above which a higher tier applies (Gemini 2.5 Pro, long-context Claude…). */
  tierStarts: number[];
  pricedAs: string;
};

/** Where the catalog came from, in words (the cache file records the URL it was fetched from). */
function describeOrigin(catalog: Catalog, flags: CatalogFlags): string {
  if (flags.catalog === undefined && catalog.source === catalogCachePath()) {
    try {
      const meta = JSON.parse(readFileSync(catalog.source, 'utf8')) as { source?: unknown; fetchedAt?: unknown };
      if (typeof meta.source === 'string') return `fetched from ${meta.source}${typeof meta.fetchedAt === 'string' ? ` at ${meta.fetchedAt}` : ''} (cache ${catalog.source})`;
    } catch {
      // loadCatalog already read it; a race with a concurrent --fetch just loses the detail.
    }
  }
  return catalog.source;
}

async function runList(flags: CatalogFlags): Promise<number> {
  const catalog = loadCatalog(flags.catalog);
  let rows: CatalogEntry[] = catalog.list();
  if (flags.provider !== undefined) {
    const p = catalog.resolveProvider(flags.provider);
    if (!p) {
      const s = catalog.suggestProvider(flags.provider);
      throw new OpsmeterError(`provider "${flags.provider}" is not in the catalog`, EXIT.usage, s ? `did you mean "${s}"? known: ${catalog.providers().join(', ')}` : `known: ${catalog.providers().join(', ')}`);
    }
    rows = rows.filter((e) => e.provider === p);
  }
  if (flags.search !== undefined) {
    // Opsmeter spells OpenAI's dots as hyphens (gpt-4.1 → gpt-4-1), as validate maps them;
    // Bedrock and OpenRouter ids keep their dots, so both spellings are searched.
    const q = flags.search.toLowerCase();
    const hyphenated = q.replace(/\./g, '-');
    rows = rows.filter((e) => {
      const m = e.model.toLowerCase();
      return m.includes(q) || m.includes(hyphenated);
    });
  }
  rows.sort((a, b) => (a.provider === b.provider ? (a.model < b.model ? -1 : 1) : a.provider < b.provider ? -1 : 1));
  const origin = describeOrigin(catalog, flags);
  // The prices shown are the estimates' source, the same calcPrice the import uses, at today's date.
  const { PriceBook } = await import('../prices/library.js');
  const now = new Date();
  const book = await PriceBook.load(now);
  const listPrice = (e: CatalogEntry): ListPrice | null => {
    const ref = book.resolve(e.provider, e.model);
    const prices = ref ? book.pricesAt(ref, now) : undefined;
    if (!ref || !prices) return null;
    const tierStarts = new Set<number>();
    const base = (v: number | TieredPrices | undefined): number | null => {
      if (typeof v === 'number') return v;
      if (v === undefined) return null;
      for (const t of v.tiers) tierStarts.add(t.start);
      return v.base;
    };
    return {
      inputPer1M: base(prices.input_mtok),
      outputPer1M: base(prices.output_mtok),
      cacheReadPer1M: base(prices.cache_read_mtok),
      cacheWritePer1M: base(prices.cache_write_mtok),
      tierStarts: [...tierStarts].sort((a, b) => a - b),
      pricedAs: `${ref.provider}/${ref.info.id}`,
    };
  };
  const priceNote = `prices: ${book.info.source} (data of ${book.info.dataDate}), list prices in force today, USD per 1M tokens — estimates, not a bill`;
  if (jsonFormat(flags)) {
    const models = rows.map((e) => ({ ...e, listPrice: listPrice(e) }));
    process.stdout.write(JSON.stringify({ date: catalog.date, source: origin, prices: { source: book.info.source, dataDate: book.info.dataDate }, models }, null, 2) + '\n');
    return EXIT.ok;
  }
  const c = paint(useColor(process.stdout));
  const out: string[] = [`catalog: ${origin}, ${catalog.date} · ${catalog.size} models${rows.length !== catalog.size ? `, ${rows.length} shown` : ''} · ${priceNote}`];
  if (rows.length === 0) {
    out.push('  (no model matches)');
  } else {
    const pw = Math.max(8, ...rows.map((r) => r.provider.length));
    const mw = Math.max(5, ...rows.map((r) => r.model.length));
    let tiered = false;
    out.push(c.bold(`${'provider'.padEnd(pw)}  ${'model'.padEnd(mw)}  ${'input'.padStart(9)}  ${'output'.padStart(9)}  ${'cache rd'.padStart(9)}  ${'cache wr'.padStart(9)}`));
    for (const r of rows) {
      const lp = listPrice(r);
      const tier = lp && lp.tierStarts.length > 0 ? ` * above ${lp.tierStarts.map((t) => t.toLocaleString('en-US')).join(', ')} input tokens` : '';
      if (tier) tiered = true;
      const cells = lp
        ? `${fmtPrice(lp.inputPer1M).padStart(9)}  ${fmtPrice(lp.outputPer1M).padStart(9)}  ${fmtPrice(lp.cacheReadPer1M).padStart(9)}  ${fmtPrice(lp.cacheWritePer1M).padStart(9)}${tier}`
        : `${'not priced'.padStart(9)}`;
      out.push(`${r.provider.padEnd(pw)}  ${r.model.padEnd(mw)}  ${cells}`);
    }
    if (tiered) out.push('* tiered: a request above that many input tokens is priced at a higher rate (see --json for the source model)');
  }
  process.stdout.write(out.join('\n') + '\n');
  return EXIT.ok;
}

async function runFetch(flags: CatalogFlags): Promise<number> {
  if (flags.provider !== undefined || flags.search !== undefined || jsonFormat(flags) || flags.catalog !== undefined) {
    throw new OpsmeterError('--fetch only refreshes the cache; list it afterwards with a separate `opsmeter catalog` (filters, --json and --catalog do not apply)', EXIT.usage);
  }
  const [config, { createClient }, pricing, { DEFAULT_POLICY }, fs, pathMod] = await Promise.all([
    import('../ingest/config.js'),
    import('../ingest/client.js'),
    import('../ingest/pricing.js'),
    import('../ingest/retry.js'),
    import('node:fs/promises'),
    import('node:path'),
  ]);
  const { target, key } = await targetFromFlags(flags, false);
  const client = createClient({ target, apiKey: key, timeoutMs: flags.timeout, connections: 1 });
  let result;
  try {
    result = await pricing.fetchPricing(client, { ...DEFAULT_POLICY, maxRetries: flags.maxRetries });
  } finally {
    await client.close();
  }
  if (!result.ok) throw new OpsmeterError(config.redactKey(result.message, key), EXIT.gaveUp, result.hint);
  const path = catalogCachePath();
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await fs.mkdir(pathMod.dirname(path), { recursive: true });
    await fs.writeFile(tmp, JSON.stringify(result.file) + '\n');
    await fs.rename(tmp, path); // atomic: a reader never sees half a catalog
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw new OpsmeterError(`cannot write the catalog cache ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.usage);
  }
  const providers = new Set(result.file.models.map((m) => m.provider)).size;
  process.stderr.write(`fetched ${result.file.models.length} models from ${providers} provider${providers === 1 ? '' : 's'} (${result.file.date}) from ${result.file.source}\ncached at ${path}; validate, import and send now use it\n`);
  return EXIT.ok;
}
