/**
 * The import's cost estimate, priced at the time of each request with flat memory and a cheap
 * hot path. calcPrice costs ~0.1 ms, too much per row of a million-row import, so rows are
 * summed into buckets in which the library's price is a linear function of the usage, and
 * each bucket is priced once at the end as n × calcPrice(mean usage). A bucket is one
 * (provider, model as logged, UTC day, time-of-day window, price tier, partial or not):
 * - a price's `start_date` is a UTC date, so the prices in force are constant within a day;
 * - time-of-day prices (off-peak hours) switch only at the window bounds of the model's data;
 * - a tiered price (Gemini 2.5 Pro above 200k input tokens…) is chosen by the request's input
 *   tokens, so rows are split at every tier start; the mean of rows within one tier interval
 *   lies in that interval, so the library picks the same tier for it.
 * Within a bucket the library's price is linear in the token counts, so n × price(mean) is
 * the sum of the rows' prices (up to floating-point rounding); test/prices/ checks every figure
 * against calcPrice row by row.
 */
import { utcDateNumber } from '../contract/calendar.js';
import type { PriceBook, PriceRef } from './library.js';

/**
 * Formats whose every line is a batch request, and the vendor's batch price as a share of list
 * price (sources in docs/import.md § "Batch prices"). Gemini and Bedrock batch discounts do not
 * apply as one flat factor (Vertex AI: the cache discount replaces the batch one; Bedrock: per
 * model), so their lines (Bedrock's are marked `batch: true`) are priced at the list price.
 */
const BATCH_PRICING: Readonly<Record<string, { factor: number; vendor: string }>> = {
  // OpenAI Batch API: "50% cost discount compared to synchronous APIs".
  'openai-batch': { factor: 0.5, vendor: 'OpenAI Batch API' },
  // Anthropic Message Batches: 50% of standard prices on all usage, cache reads and writes included.
  'anthropic-batch': { factor: 0.5, vendor: 'Anthropic Message Batches' },
};

/**
 * The price kinds a bucket can be in: 0 the list price, then each batch pricing above. A run of
 * several formats (--from auto on a mixed folder) keeps its batch lines in buckets of their own.
 */
const PRICINGS: readonly ({ factor: number; vendor: string } | undefined)[] = [undefined, ...Object.values(BATCH_PRICING)];
const pricingOf = (format: string): number => Math.max(0, PRICINGS.indexOf(BATCH_PRICING[format]));

interface Bucket {
  n: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** Epoch ms of the bucket's first row: any instant of the bucket has the same prices. */
  at: number;
}

/** How a model's rows are split: tier starts and time-of-day bounds from its price data. */
interface Partition {
  tierStarts: number[];
  /** Seconds after UTC midnight where a time-of-day price starts or ends, ascending. */
  todBounds: number[];
}

interface Variant {
  provider: string;
  model: string;
  ref: PriceRef | null;
  partition: Partition;
  /** day (YYYYMMDD) → slot → bucket */
  days: Map<number, Map<number, Bucket>>;
  unpriced: { complete: number; partial: number };
}

interface DayCount {
  payloads: number;
}

export interface ModelCost {
  provider: string;
  model: string;
  /** USD for complete payloads; null when there were some and none could be priced. */
  estimatedUsd: number | null;
  /** USD for partial payloads' known tokens; never final. Null as above. */
  estimatedUsdNotFinal: number | null;
  unpricedPayloads: number;
  /** The library's provider/model the payloads were priced as. */
  pricedAs: string[];
}

export interface DayCost {
  /** UTC date YYYY-MM-DD */
  date: string;
  payloads: number;
  estimatedUsd: number;
  estimatedUsdNotFinal: number;
}

export interface Settled {
  models: Map<string, Map<string, ModelCost>>;
  days: DayCost[];
  complete: number;
  partialNotFinal: number;
  unpricedPayloads: number;
  /** Buckets calcPrice refused (usage the library calls invalid): their payloads count as unpriced. */
  refused: number;
}

const NO_PARTITION: Partition = { tierStarts: [], todBounds: [] };
const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const two = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);

/** "HH:MM:SS[.fff](Z|±HH:MM)" → seconds after UTC midnight; undefined if it is not that. */
export function timeOfDaySeconds(t: string): number | undefined {
  const m = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(t);
  if (!m) return undefined;
  const local = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + (m[4] ? Number(m[4]) : 0);
  const offset = m[5] === 'Z' ? 0 : (m[6] === '-' ? -1 : 1) * (Number(m[7]) * 3600 + Number(m[8]) * 60);
  return (((local - offset) % 86_400) + 86_400) % 86_400;
}

function partitionOf(ref: PriceRef): Partition {
  const variants = Array.isArray(ref.info.prices) ? ref.info.prices : [{ prices: ref.info.prices }];
  const tiers = new Set<number>();
  const bounds = new Set<number>();
  for (const v of variants) {
    for (const price of Object.values(v.prices)) {
      if (typeof price === 'object' && price !== null) for (const t of price.tiers) tiers.add(t.start);
    }
    const c = 'constraint' in v ? v.constraint : undefined;
    if (c && c.type === 'time_of_date') {
      for (const t of [c.start_time, c.end_time]) {
        const s = timeOfDaySeconds(t);
        // A bound this parser cannot read would make the windows unknown: one window per second then.
        if (s === undefined) return { tierStarts: [...tiers].sort((a, b) => a - b), todBounds: Array.from({ length: 86_399 }, (_, i) => i + 1) };
        bounds.add(s);
      }
    }
  }
  return { tierStarts: [...tiers].sort((a, b) => a - b), todBounds: [...bounds].sort((a, b) => a - b) };
}

const dayString = (d: number) => `${Math.floor(d / 10_000)}-${String(Math.floor(d / 100) % 100).padStart(2, '0')}-${String(d % 100).padStart(2, '0')}`;

export class CostLedger {
  private readonly variants = new Map<string, Map<string, Map<string, Variant>>>();
  private readonly dayCounts = new Map<number, DayCount>();
  /** The price kind (PRICINGS) of the rows added now: set per format. */
  private pricing = 0;
  /** Payloads added per price kind. */
  private readonly perPricing = PRICINGS.map(() => 0);
  /** Payloads without createdAt: priced at the import's time. */
  untimed = 0;
  private readonly nowIso: string;
  private readonly nowMs: number;

  constructor(
    private readonly book: PriceBook,
    format: string,
    now: number,
  ) {
    this.pricing = pricingOf(format);
    this.nowMs = now;
    this.nowIso = new Date(now).toISOString();
  }

  get priceSource() {
    return this.book.info;
  }

  /** The rows added from now on are of this format (its batch price, if it has one). */
  useFormat(format: string): void {
    this.pricing = pricingOf(format);
  }

  /**
   * The batch prices applied, with how many payloads each: undefined when none was. Vendors
   * with the same factor share one entry (one line in the summary).
   */
  get batch(): { factor: number; vendor: string; payloads: number } | undefined {
    let found: { factor: number; vendor: string; payloads: number } | undefined;
    for (let i = 1; i < PRICINGS.length; i++) {
      const n = this.perPricing[i]!;
      if (n === 0) continue;
      const p = PRICINGS[i]!;
      if (!found) found = { ...p, payloads: n };
      else found = { factor: found.factor, vendor: `${found.vendor}, ${p.vendor}`, payloads: found.payloads + n };
    }
    return found;
  }

  /** The previous row's variant: consecutive rows mostly share one model. */
  private last: Variant | undefined;
  private lastLogged = '';

  private variant(provider: string, model: string, logged: string): Variant {
    const last = this.last;
    if (last !== undefined && last.model === model && last.provider === provider && this.lastLogged === logged) return last;
    let byModel = this.variants.get(provider);
    if (!byModel) this.variants.set(provider, (byModel = new Map()));
    let byLogged = byModel.get(model);
    if (!byLogged) byModel.set(model, (byLogged = new Map()));
    let v = byLogged.get(logged);
    if (!v) {
      const ref = this.book.resolve(provider, model, logged === '' ? undefined : logged);
      v = { provider, model, ref, partition: ref ? partitionOf(ref) : NO_PARTITION, days: new Map(), unpriced: { complete: 0, partial: 0 } };
      byLogged.set(logged, v);
    }
    this.last = v;
    this.lastLogged = logged;
    return v;
  }

  /** One payload. `createdAt` is the pipeline's normalised `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
  /**
   * One payload. `createdAt` as the payload has it (UTC ISO with milliseconds), or as its epoch
   * ms (what the import's worker threads send: the same instant, priced alike).
   */
  add(provider: string, model: string, logged: string | undefined, createdAt: string | number | undefined, partial: boolean, input: number, output: number, cacheRead: number, cacheWrite: number): void {
    const v = this.variant(provider, model, logged ?? '');
    this.perPricing[this.pricing]!++;
    let at = createdAt;
    if (at === undefined) {
      this.untimed++;
      at = this.nowIso;
    }
    const day = typeof at === 'number' ? utcDateNumber(at) : digit(at, 0) * 10_000_000 + digit(at, 1) * 1_000_000 + two(at, 2) * 10_000 + two(at, 5) * 100 + two(at, 8);
    let dc = this.dayCounts.get(day);
    if (!dc) this.dayCounts.set(day, (dc = { payloads: 0 }));
    dc.payloads++;
    // Cache reads and writes are parts of the input; more of them than input is not a usage the library can price.
    if (v.ref === null || cacheRead + cacheWrite > input) {
      if (partial) v.unpriced.partial++;
      else v.unpriced.complete++;
      return;
    }
    const { tierStarts, todBounds } = v.partition;
    let tier = 0;
    for (let i = 0; i < tierStarts.length; i++) if (input > tierStarts[i]!) tier = i + 1;
    let window = 0;
    if (todBounds.length > 0) {
      // From ms: the whole seconds of the day plus the milliseconds / 1000, the same double as Number(".mmm").
      const sec =
        typeof at === 'number'
          ? Math.floor((at % 86_400_000) / 1000) + (at % 1000) / 1000
          : two(at, 11) * 3600 + two(at, 14) * 60 + two(at, 17) + (at.length > 20 ? Number(at.slice(19, -1)) : 0);
      for (let i = 0; i < todBounds.length; i++) if (sec >= todBounds[i]!) window = i + 1;
    }
    const slot = ((window * (tierStarts.length + 1) + tier) * PRICINGS.length + this.pricing) * 2 + (partial ? 1 : 0);
    let slots = v.days.get(day);
    if (!slots) v.days.set(day, (slots = new Map()));
    let b = slots.get(slot);
    if (!b) slots.set(slot, (b = { n: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, at: createdAt === undefined ? this.nowMs : typeof at === 'number' ? at : Date.parse(at) }));
    b.n++;
    b.input += input;
    b.output += output;
    b.cacheRead += cacheRead;
    b.cacheWrite += cacheWrite;
  }

  /** Price every bucket once (calcPrice of its mean usage × its row count × its batch factor). */
  settle(): Settled {
    const models = new Map<string, Map<string, ModelCost>>();
    const dayCost = new Map<number, { complete: number; partial: number }>();
    let complete = 0;
    let partialNotFinal = 0;
    let unpricedPayloads = 0;
    let refused = 0;
    const pricedKinds = new Map<ModelCost, { complete: boolean; partial: boolean; hadComplete: boolean; hadPartial: boolean }>();
    for (const [provider, byModel] of this.variants) {
      for (const [model, byLogged] of byModel) {
        let byM = models.get(provider);
        if (!byM) models.set(provider, (byM = new Map()));
        const mc: ModelCost = { provider, model, estimatedUsd: 0, estimatedUsdNotFinal: 0, unpricedPayloads: 0, pricedAs: [] };
        byM.set(model, mc);
        const kinds = { complete: false, partial: false, hadComplete: false, hadPartial: false };
        pricedKinds.set(mc, kinds);
        for (const v of byLogged.values()) {
          mc.unpricedPayloads += v.unpriced.complete + v.unpriced.partial;
          if (v.unpriced.complete) kinds.hadComplete = true;
          if (v.unpriced.partial) kinds.hadPartial = true;
          if (v.ref && v.days.size > 0) {
            const name = `${v.ref.provider}/${v.ref.info.id}`;
            if (!mc.pricedAs.includes(name)) mc.pricedAs.push(name);
          }
          for (const [day, slots] of v.days) {
            let dc = dayCost.get(day);
            if (!dc) dayCost.set(day, (dc = { complete: 0, partial: 0 }));
            for (const [slot, b] of slots) {
              const partial = (slot & 1) === 1;
              if (partial) kinds.hadPartial = true;
              else kinds.hadComplete = true;
              let r;
              try {
                r = this.book.price(v.ref!, { input: b.input / b.n, output: b.output / b.n, cacheRead: b.cacheRead / b.n, cacheWrite: b.cacheWrite / b.n }, new Date(b.at));
              } catch {
                r = null; // the library refuses the usage (it validates partitions): counted, not guessed
              }
              if (!r) {
                refused++;
                mc.unpricedPayloads += b.n;
                continue;
              }
              const usd = r.total_price * b.n * (PRICINGS[(slot >> 1) % PRICINGS.length]?.factor ?? 1);
              if (partial) {
                kinds.partial = true;
                mc.estimatedUsdNotFinal! += usd;
                dc.partial += usd;
                partialNotFinal += usd;
              } else {
                kinds.complete = true;
                mc.estimatedUsd! += usd;
                dc.complete += usd;
                complete += usd;
              }
            }
          }
        }
        unpricedPayloads += mc.unpricedPayloads;
      }
    }
    for (const [mc, k] of pricedKinds) {
      if (k.hadComplete && !k.complete) mc.estimatedUsd = null;
      if (k.hadPartial && !k.partial) mc.estimatedUsdNotFinal = null;
    }
    const days = [...this.dayCounts.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([d, c]) => ({ date: dayString(d), payloads: c.payloads, estimatedUsd: dayCost.get(d)?.complete ?? 0, estimatedUsdNotFinal: dayCost.get(d)?.partial ?? 0 }));
    return { models, days, complete, partialNotFinal, unpricedPayloads, refused };
  }
}
