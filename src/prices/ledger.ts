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

/** One (model as logged, day, group): its buckets by slot, and the rows the library cannot price. */
interface Cell {
  slots: Map<number, Bucket>;
  unpricedComplete: number;
  unpricedPartial: number;
}

/** How a model's rows are split: tier starts, time-of-day bounds and price periods from its price data. */
interface Partition {
  tierStarts: number[];
  /** Seconds after UTC midnight where a time-of-day price starts or ends, ascending. */
  todBounds: number[];
  /** The UTC dates (YYYYMMDD) its prices change on, ascending: a price period runs from one to the next. */
  periodStarts: number[];
}

interface Variant {
  provider: string;
  model: string;
  ref: PriceRef | null;
  partition: Partition;
  /** day key (YYYYMMDD, UNDATED, or a price period) → group index → cell */
  cells: Map<number, Map<number, Cell>>;
  /** Its last row's cell: a model's consecutive rows mostly share day and group. */
  lastDay: number;
  lastGroup: number;
  lastCell: Cell | undefined;
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

/** The cost of one provider × model × UTC day × group (the groups the rows were added with). */
export interface CellCost {
  provider: string;
  model: string;
  /** UTC date YYYY-MM-DD; null for payloads without createdAt, and in a ledger split by price period. */
  date: string | null;
  group: string;
  /** As ModelCost's: null when the cell had complete payloads and none could be priced. */
  estimatedUsd: number | null;
  estimatedUsdNotFinal: number | null;
  unpricedPayloads: number;
}

export interface Settled {
  models: Map<string, Map<string, ModelCost>>;
  /** Per UTC day of createdAt (a ledger split by day); the payloads without one are `undated`. */
  days: DayCost[];
  /** Payloads without createdAt: a group of their own, priced at the import's time. Undefined when there were none. */
  undated: Omit<DayCost, 'date'> | undefined;
  cells: CellCost[];
  complete: number;
  partialNotFinal: number;
  unpricedPayloads: number;
  /** Buckets calcPrice refused (usage the library calls invalid): their payloads count as unpriced. */
  refused: number;
}

export interface LedgerOptions {
  /**
   * How rows are split in time. `day` (the default): per UTC day of createdAt, which `days` and
   * the cells' dates report. `price-period`: per stretch of days with the same prices of the
   * model, for groups that need no dates (fewer buckets to price: one per model and group, not
   * one per day); `days` is then empty and every cell's date null.
   */
  split?: 'day' | 'price-period';
}

/** The day key of the payloads without createdAt: their own group ("no date"), priced at the import's time. */
const UNDATED = -1;
const DAY_MS = 86_400_000;
const NO_PARTITION: Partition = { tierStarts: [], todBounds: [], periodStarts: [] };
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
  const periods = new Set<number>();
  for (const v of variants) {
    for (const price of Object.values(v.prices)) {
      if (typeof price === 'object' && price !== null) for (const t of price.tiers) tiers.add(t.start);
    }
    const c = 'constraint' in v ? v.constraint : undefined;
    if (c && c.type === 'start_date') periods.add(Number(c.start_date.slice(0, 10).replaceAll('-', '')));
    if (c && c.type === 'time_of_date') {
      for (const t of [c.start_time, c.end_time]) {
        const s = timeOfDaySeconds(t);
        // A bound this parser cannot read would make the windows unknown: one window per second then.
        if (s === undefined) {
          return { tierStarts: [...tiers].sort((a, b) => a - b), todBounds: Array.from({ length: 86_399 }, (_, i) => i + 1), periodStarts: [...periods].sort((a, b) => a - b) };
        }
        bounds.add(s);
      }
    }
  }
  return { tierStarts: [...tiers].sort((a, b) => a - b), todBounds: [...bounds].sort((a, b) => a - b), periodStarts: [...periods].sort((a, b) => a - b) };
}

/** The price period a UTC date (YYYYMMDD) is in: how many of the model's price changes came on or before it. */
function periodOf(p: Partition, date: number): number {
  let i = 0;
  while (i < p.periodStarts.length && p.periodStarts[i]! <= date) i++;
  return i;
}

const dayString = (d: number) => `${Math.floor(d / 10_000)}-${String(Math.floor(d / 100) % 100).padStart(2, '0')}-${String(d % 100).padStart(2, '0')}`;

export class CostLedger {
  private readonly variants = new Map<string, Map<string, Map<string, Variant>>>();
  /** Payloads per day key (a ledger split by day), UNDATED included. */
  private readonly dayCounts = new Map<number, { payloads: number }>();
  /** The last row's day count and key, and the UTC day (its start in epoch ms, and YYYYMMDD) of the last epoch-ms createdAt. */
  private lastCountKey = Number.NaN;
  private lastCount: { payloads: number } | undefined;
  private lastDayStart = Number.NaN;
  private lastDate = 0;
  /** The price kind (PRICINGS) of the rows added now: set per format. */
  private pricing = 0;
  /** Payloads added per price kind. */
  private readonly perPricing = PRICINGS.map(() => 0);
  /** Payloads without createdAt: priced at the import's time. */
  untimed = 0;
  private readonly nowMs: number;
  private readonly nowDate: number;
  private readonly byDay: boolean;
  /** Group names by index ('' is 0: no group), and their indexes. */
  private readonly groupNames: string[] = [''];
  private readonly groupIds = new Map<string, number>([['', 0]]);

  constructor(
    private readonly book: PriceBook,
    format: string,
    now: number,
    options: LedgerOptions = {},
  ) {
    this.pricing = pricingOf(format);
    this.nowMs = now;
    this.nowDate = utcDateNumber(now);
    this.byDay = options.split !== 'price-period';
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


  /** The previous row's variant and group: consecutive rows mostly share them. */
  private last: Variant | undefined;
  private lastLogged = '';
  private lastGroup = '';
  private lastGroupIndex = 0;

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
      v = { provider, model, ref, partition: ref ? partitionOf(ref) : NO_PARTITION, cells: new Map(), lastDay: Number.NaN, lastGroup: -1, lastCell: undefined };
      byLogged.set(logged, v);
    }
    this.last = v;
    this.lastLogged = logged;
    return v;
  }

  /** A group's index (the caller bounds how many groups there are). */
  private groupIndex(group: string): number {
    if (group === this.lastGroup) return this.lastGroupIndex;
    let i = this.groupIds.get(group);
    if (i === undefined) this.groupIds.set(group, (i = this.groupNames.push(group) - 1));
    this.lastGroup = group;
    this.lastGroupIndex = i;
    return i;
  }

  private cell(v: Variant, dayKey: number, group: number): Cell {
    if (v.lastCell !== undefined && dayKey === v.lastDay && group === v.lastGroup) return v.lastCell;
    let byGroup = v.cells.get(dayKey);
    if (!byGroup) v.cells.set(dayKey, (byGroup = new Map()));
    let c = byGroup.get(group);
    if (!c) byGroup.set(group, (c = { slots: new Map(), unpricedComplete: 0, unpricedPartial: 0 }));
    v.lastCell = c;
    v.lastDay = dayKey;
    v.lastGroup = group;
    return c;
  }

  /**
   * One payload. `createdAt` as the payload has it (UTC ISO with milliseconds), or as its epoch
   * ms (what the import's worker threads send: the same instant, priced alike). `group`: what
   * the cells split the model's rows by besides the day (the import's endpointTag, a user).
   */
  add(
    provider: string,
    model: string,
    logged: string | undefined,
    createdAt: string | number | undefined,
    partial: boolean,
    input: number,
    output: number,
    cacheRead: number,
    cacheWrite: number,
    group = '',
  ): void {
    const v = this.variant(provider, model, logged ?? '');
    this.perPricing[this.pricing]!++;
    let at = createdAt;
    let date: number;
    if (at === undefined) {
      this.untimed++;
      at = this.nowMs;
      date = this.nowDate;
    } else if (typeof at !== 'number') date = digit(at, 0) * 10_000_000 + digit(at, 1) * 1_000_000 + two(at, 2) * 10_000 + two(at, 5) * 100 + two(at, 8);
    else if (at >= this.lastDayStart && at < this.lastDayStart + DAY_MS) date = this.lastDate;
    else {
      // Rows mostly come in time order: the date is worked out once per UTC day, not per row.
      date = this.lastDate = utcDateNumber(at);
      this.lastDayStart = Math.floor(at / DAY_MS) * DAY_MS;
    }
    let dayKey: number;
    if (this.byDay) {
      dayKey = createdAt === undefined ? UNDATED : date;
      if (dayKey !== this.lastCountKey) {
        let dc = this.dayCounts.get(dayKey);
        if (!dc) this.dayCounts.set(dayKey, (dc = { payloads: 0 }));
        this.lastCountKey = dayKey;
        this.lastCount = dc;
      }
      this.lastCount!.payloads++;
    } else dayKey = periodOf(v.partition, date);
    const gi = group === '' ? 0 : this.groupIndex(group);
    const cell = this.cell(v, dayKey, gi);
    // Cache reads and writes are parts of the input; more of them than input is not a usage the library can price.
    if (v.ref === null || cacheRead + cacheWrite > input) {
      if (partial) cell.unpricedPartial++;
      else cell.unpricedComplete++;
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
    let b = cell.slots.get(slot);
    if (!b) cell.slots.set(slot, (b = { n: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, at: typeof at === 'number' ? at : Date.parse(at) }));
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
    const cells = new Map<string, CellCost>();
    const totals = { complete: 0, partialNotFinal: 0, unpricedPayloads: 0, refused: 0 };
    /** Whether each cost had complete (partial) payloads, and whether any of them was priced: null when none was. */
    const kinds = new Map<ModelCost | CellCost, { complete: boolean; partial: boolean; hadComplete: boolean; hadPartial: boolean }>();
    const kindOf = (c: ModelCost | CellCost) => {
      let k = kinds.get(c);
      if (!k) kinds.set(c, (k = { complete: false, partial: false, hadComplete: false, hadPartial: false }));
      return k;
    };
    for (const [provider, byModel] of this.variants) {
      for (const [model, byLogged] of byModel) {
        let byM = models.get(provider);
        if (!byM) models.set(provider, (byM = new Map()));
        const mc: ModelCost = { provider, model, estimatedUsd: 0, estimatedUsdNotFinal: 0, unpricedPayloads: 0, pricedAs: [] };
        byM.set(model, mc);
        const mk = kindOf(mc);
        for (const v of byLogged.values()) {
          let hasBuckets = false;
          for (const [dayKey, byGroup] of v.cells) {
            const date = this.byDay && dayKey !== UNDATED ? dayString(dayKey) : null;
            let dc = dayCost.get(dayKey);
            if (!dc) dayCost.set(dayKey, (dc = { complete: 0, partial: 0 }));
            for (const [group, cell] of byGroup) {
              const key = `${provider}\u0000${model}\u0000${date}\u0000${group}`;
              let cc = cells.get(key);
              if (!cc) cells.set(key, (cc = { provider, model, date, group: this.groupNames[group]!, estimatedUsd: 0, estimatedUsdNotFinal: 0, unpricedPayloads: 0 }));
              const ck = kindOf(cc);
              const unpriced = cell.unpricedComplete + cell.unpricedPartial;
              mc.unpricedPayloads += unpriced;
              cc.unpricedPayloads += unpriced;
              if (cell.unpricedComplete) mk.hadComplete = ck.hadComplete = true;
              if (cell.unpricedPartial) mk.hadPartial = ck.hadPartial = true;
              for (const [slot, b] of cell.slots) {
                hasBuckets = true;
                const partial = (slot & 1) === 1;
                if (partial) mk.hadPartial = ck.hadPartial = true;
                else mk.hadComplete = ck.hadComplete = true;
                let r;
                try {
                  r = this.book.price(v.ref!, { input: b.input / b.n, output: b.output / b.n, cacheRead: b.cacheRead / b.n, cacheWrite: b.cacheWrite / b.n }, new Date(b.at));
                } catch {
                  r = null; // the library refuses the usage (it validates partitions): counted, not guessed
                }
                if (!r) {
                  totals.refused++;
                  mc.unpricedPayloads += b.n;
                  cc.unpricedPayloads += b.n;
                  continue;
                }
                const usd = r.total_price * b.n * (PRICINGS[(slot >> 1) % PRICINGS.length]?.factor ?? 1);
                if (partial) {
                  mk.partial = ck.partial = true;
                  mc.estimatedUsdNotFinal! += usd;
                  cc.estimatedUsdNotFinal! += usd;
                  dc.partial += usd;
                  totals.partialNotFinal += usd;
                } else {
                  mk.complete = ck.complete = true;
                  mc.estimatedUsd! += usd;
                  cc.estimatedUsd! += usd;
                  dc.complete += usd;
                  totals.complete += usd;
                }
              }
            }
          }
          if (v.ref && hasBuckets) {
            const name = `${v.ref.provider}/${v.ref.info.id}`;
            if (!mc.pricedAs.includes(name)) mc.pricedAs.push(name);
          }
        }
        totals.unpricedPayloads += mc.unpricedPayloads;
      }
    }
    for (const [c, k] of kinds) {
      if (k.hadComplete && !k.complete) c.estimatedUsd = null;
      if (k.hadPartial && !k.partial) c.estimatedUsdNotFinal = null;
    }
    const days = [...this.dayCounts.entries()]
      .filter(([d]) => d !== UNDATED)
      .sort((a, b) => a[0] - b[0])
      .map(([d, c]) => ({ date: dayString(d), payloads: c.payloads, estimatedUsd: dayCost.get(d)?.complete ?? 0, estimatedUsdNotFinal: dayCost.get(d)?.partial ?? 0 }));
    const undatedPayloads = this.dayCounts.get(UNDATED)?.payloads;
    const undated =
      undatedPayloads === undefined ? undefined : { payloads: undatedPayloads, estimatedUsd: dayCost.get(UNDATED)?.complete ?? 0, estimatedUsdNotFinal: dayCost.get(UNDATED)?.partial ?? 0 };
    return { models, days, undated, cells: [...cells.values()], ...totals };
  }
}
