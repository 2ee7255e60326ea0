/**
 * `import --report FILE.html`: the import's summary as one page for the people who read an
 * import — a platform engineer and their finance partner (docs/import.md "The report"). One
 * self-contained file: inline CSS, an inline SVG chart (report-chart.ts) and a few lines of
 * inline script that only sort the tables; no external URL, so it opens offline, can be mailed
 * on, and prints. A Content-Security-Policy forbids any fetch, should a value ever look like one.
 * Users are shown by their hashed id under --hash-user-ids, and by rank only without it: the
 * page is made to be passed on, and raw ids must not travel with it.
 */
import { compact, int, percent, plural, usd } from './figures.js';
import { bySpend, NO_USER, OTHER_ENDPOINTS, OTHER_USERS, MAX_USERS, spendOf, type ImportSummary, type UserSpend } from './import-summary.js';
import type { ReconcileDocument } from '../reconcile/document.js';
import { esc, num, spendChart, type ChartBar, type ChartSeries } from './report-chart.js';
import { COVERAGE_CSS, coverageSection } from './report-coverage.js';

export interface ReportContext {
  /** The users, biggest spender first (userSpend); undefined: not counted. */
  users: UserSpend[] | undefined;
  /** The import's time, UTC ISO. */
  generatedAt: string;
  version: string;
  /** import --against: the import's coverage of the providers' reports (a panel after the totals). */
  coverage?: ReconcileDocument | undefined;
}

/** Models with a colour of their own in the chart; the rest share one. */
const CHART_MODELS = 8;
const PALETTE = ['#2f6fbd', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#8c6d31', '#7f3c8d'];
const OTHERS_COLOR = '#b8bec6';
/** Rows of the endpoints' and users' tables; the rest are one line below them. */
const TOP_ROWS = 50;

export function reportPage(s: ImportSummary, ctx: ReportContext): string {
  const dates = s.days.map((d) => d.date);
  const span = dates.length === 0 ? 'no dated payloads' : dates.length === 1 ? dates[0]! : `${dates[0]} – ${dates.at(-1)}`;
  const formats = s.format === 'mixed' ? s.formats.map((f) => f.format).join(', ') : s.format;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may be fetched: the page is whole as it is.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">`,
    `<title>opsmeter import report — ${esc(formats)}, ${esc(span)}</title>`,
    `<style>${CSS}${ctx.coverage ? COVERAGE_CSS : ''}</style>`,
    '</head>',
    '<body>',
    '<main>',
    header(s, ctx, formats, span),
    keyFigures(s),
    ctx.coverage ? coverageSection(ctx.coverage) : '',
    spendSection(s),
    modelsSection(s),
    endpointsSection(s),
    usersSection(s, ctx.users),
    outcomesSection(s),
    filesSection(s),
    notesSection(s),
    `<footer><p>Estimates at the list prices in force at each request's time (batch lines at the batch price), from ${esc(s.prices?.source ?? 'no price data')}${
      s.prices ? `, data of ${esc(s.prices.dataDate)}` : ''
    }: not a bill. Made by opsmeter ${esc(ctx.version)} on ${esc(ctx.generatedAt.slice(0, 16).replace('T', ' '))} UTC.</p></footer>`,
    '</main>',
    `<script>${SORT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header(s: ImportSummary, ctx: ReportContext, formats: string, span: string): string {
  const window = s.window ? ` · window ${esc(s.window.since ?? '…')} ≤ createdAt &lt; ${esc(s.window.until ?? '…')}` : '';
  return `<header>
<h1>Import report</h1>
<p class="meta">${esc(plural(s.files.length, 'file'))} (${esc(formats)}) · ${esc(span)}${window} · made ${esc(ctx.generatedAt.slice(0, 16).replace('T', ' '))} UTC</p>
<p class="meta">Prices: ${esc(s.prices ? `${s.prices.source}, data of ${s.prices.dataDate}` : 'none loaded')} · catalog: ${esc(`${s.catalog.source}, ${s.catalog.date}`)} · user ids ${
    s.userIdsHashed ? 'hashed (--hash-user-ids)' : 'not hashed: users are shown by rank only'
  }</p>
</header>`;
}

/** A figure card: the number large, what it is below. */
const card = (value: string, label: string, title?: string, cls = '') =>
  `<div class="card${cls ? ` ${cls}` : ''}"${title ? ` title="${esc(title)}"` : ''}><div class="value">${value}</div><div class="label">${label}</div></div>`;

function keyFigures(s: ImportSummary): string {
  const t = s.tokens;
  const payloads = s.complete + s.partial.total;
  const invariant = `${esc(s.invariant)} ${s.invariantHolds ? '<span class="ok">✔</span>' : '<span class="bad">✖</span>'}`;
  const cards = [
    card(`~${esc(usd(s.estimatedUsd.complete))}`, 'estimated spend (complete payloads)', usd(s.estimatedUsd.complete), 'money'),
    card(`~${esc(usd(s.estimatedUsd.partialNotFinal))}`, `not final (${esc(plural(s.partial.total, 'partial payload'))})`, usd(s.estimatedUsd.partialNotFinal)),
    card(esc(int(payloads)), `payloads (${esc(int(s.complete))} complete, ${esc(int(s.partial.total))} partial)`),
    card(esc(compact(t.inputTokens)), `input tokens`, int(t.inputTokens)),
    card(esc(compact(t.cachedInputTokens)), 'cached input (cache reads)', int(t.cachedInputTokens)),
    card(esc(compact(t.cacheWriteTokens)), 'cache writes', int(t.cacheWriteTokens)),
    card(esc(compact(t.outputTokens)), 'output tokens', int(t.outputTokens)),
    card(esc(compact(t.reasoningTokens)), 'reasoning (in output)', int(t.reasoningTokens)),
  ];
  const unpriced = s.estimatedUsd.unpricedPayloads;
  const shares = shareBars(s, payloads, unpriced);
  return `<section id="totals">
<h2>Totals</h2>
<div class="cards">${cards.join('')}</div>
${shares}
<p class="invariant" id="invariant">Every row read is accounted for: ${invariant}${s.blankLines ? ` (blank lines ignored: ${esc(int(s.blankLines))})` : ''}</p>
</section>`;
}

/** The share of payloads that are partial, of those not priced, and of the estimate that is not final. */
function shareBars(s: ImportSummary, payloads: number, unpriced: number): string {
  if (payloads === 0) return '<p>No payloads.</p>';
  const bar = (parts: [number, string, string][], whole: number) =>
    `<div class="sharebar" aria-hidden="true">${parts
      .filter(([n]) => n > 0)
      .map(([n, cls, label]) => `<span class="seg ${cls}" style="width:${((100 * n) / whole).toFixed(2)}%" title="${esc(label)}"></span>`)
      .join('')}</div>`;
  const total = s.estimatedUsd.complete + s.estimatedUsd.partialNotFinal;
  return `<div class="shares">
${bar(
  [
    [s.complete, 'complete', `complete: ${int(s.complete)}`],
    [s.partial.total, 'partial', `partial: ${int(s.partial.total)}`],
  ],
  payloads,
)}
<ul class="legend">
<li><span class="swatch complete"></span>complete: ${esc(int(s.complete))} (${esc(percent(s.complete, payloads))})</li>
<li><span class="swatch partial"></span>partial (some usage missing, so their cost is not final): ${esc(int(s.partial.total))} (${esc(percent(s.partial.total, payloads))})</li>
<li><span class="swatch unpriced"></span>not priced (the price source does not know the model; no estimate, never $0): ${esc(int(unpriced))} (${esc(percent(unpriced, payloads))})</li>
<li>of the estimate, not final: ${esc(usd(s.estimatedUsd.partialNotFinal))} (${esc(percent(s.estimatedUsd.partialNotFinal, total))})</li>
</ul>
</div>`;
}

function spendSection(s: ImportSummary): string {
  const top = s.models.slice(0, CHART_MODELS).filter((m) => spendOf(m) > 0);
  const series: ChartSeries[] = top.map((m, i) => ({ name: `${m.provider}/${m.model}`, color: PALETTE[i]! }));
  const index = new Map(series.map((x, i) => [x.name, i]));
  const hasOthers = s.models.length > top.length;
  if (hasOthers) series.push({ name: `${int(s.models.length - top.length)} other models`, color: OTHERS_COLOR });
  const perDay = new Map<string | null, number[]>();
  for (const r of s.breakdown) {
    let values = perDay.get(r.date);
    if (!values) perDay.set(r.date, (values = series.map(() => 0)));
    const i = index.get(`${r.provider}/${r.model}`) ?? series.length - 1;
    values[i]! += spendOf(r);
  }
  const bars: ChartBar[] = s.days.map((d) => ({ label: d.date, values: perDay.get(d.date) ?? series.map(() => 0) }));
  if (s.undated) bars.push({ label: 'no date', values: perDay.get(null) ?? series.map(() => 0), undated: true });
  if (bars.length === 0) return '<section id="per-day"><h2>Spend per day</h2><p>No payloads.</p></section>';
  const legend = series.map((x) => `<li><span class="swatch" style="background:${x.color}"></span>${esc(x.name)}</li>`).join('');
  const rows = [
    ...s.days.map((d) => ({ label: d.date, payloads: d.payloads, usd: d.estimatedUsd, notFinal: d.estimatedUsdNotFinal })),
    ...(s.undated ? [{ label: 'no date', payloads: s.undated.payloads, usd: s.undated.estimatedUsd, notFinal: s.undated.estimatedUsdNotFinal }] : []),
  ];
  const table = `<table class="sortable" id="days-table">
<thead><tr><th data-type="text">UTC day</th><th data-type="num">payloads</th><th data-type="num">estimate</th><th data-type="num">not final</th></tr></thead>
<tbody>${rows
    .map((r) => `<tr><td class="date">${esc(r.label)}</td>${num(r.payloads, int(r.payloads))}${num(r.usd, usd(r.usd))}${num(r.notFinal, usd(r.notFinal))}</tr>`)
    .join('\n')}</tbody>
</table>`;
  const undatedNote = s.undated
    ? `<p class="note">"no date": ${esc(plural(s.undated.payloads, 'payload'))} without createdAt, priced at the import's time and counted in no day.</p>`
    : '';
  return `<section id="per-day">
<h2>Spend per day</h2>
<p class="lead">Estimated spend per UTC day of createdAt, stacked by model (the ${esc(int(top.length))} biggest by colour).</p>
${spendChart(bars, series)}
<ul class="legend chart-legend">${legend}</ul>
${undatedNote}
<details${rows.length <= 62 ? ' open' : ''}><summary>Every day (${esc(int(rows.length))})</summary>
${table}
</details>
</section>`;
}

function modelsSection(s: ImportSummary): string {
  const total = s.estimatedUsd.complete + s.estimatedUsd.partialNotFinal;
  const rows = s.models.map((m) => {
    const n = m.complete.payloads + m.partial.payloads;
    const spend = spendOf(m);
    const flags = [
      !m.known ? '<span class="flag unknown" title="not in the catalog: the server would record it at $0">unknown to Opsmeter</span>' : '',
      m.unpricedPayloads > 0 ? `<span class="flag unpriced" title="the price source cannot price these payloads">${esc(int(m.unpricedPayloads))} not priced</span>` : '',
      m.partial.payloads > 0 ? `<span class="flag partial">${esc(int(m.partial.payloads))} partial</span>` : '',
    ].join('');
    const priced = m.estimatedUsd === null && m.estimatedUsdNotFinal === null ? 'not priced' : usd(spend);
    return `<tr><td class="name">${esc(`${m.provider}/${m.model}`)}${flags}</td>${num(n, int(n))}${num(m.complete.inputTokens + m.partial.inputTokens, int(m.complete.inputTokens + m.partial.inputTokens))}${num(
      m.complete.cachedInputTokens + m.partial.cachedInputTokens,
      int(m.complete.cachedInputTokens + m.partial.cachedInputTokens),
    )}${num(m.complete.outputTokens + m.partial.outputTokens, int(m.complete.outputTokens + m.partial.outputTokens))}${num(spend, priced, 'num money')}${num(spend, total > 0 ? percent(spend, total) : '–')}</tr>`;
  });
  const unknown = s.models.filter((m) => !m.known);
  const unpriced = s.models.filter((m) => m.unpricedPayloads > 0);
  const callouts = [
    unknown.length > 0
      ? `<div class="callout warn" id="unknown-models"><strong>Unknown to Opsmeter: ${esc(plural(s.unknownModels.payloads, 'payload'))} of ${esc(plural(unknown.length, 'model'))}.</strong> They are not in the catalog, so the server would record them at $0: ${unknown
          .map((m) => `<code>${esc(`${m.provider}/${m.model}`)}</code>`)
          .join(', ')}.</div>`
      : '',
    unpriced.length > 0
      ? `<div class="callout" id="unpriced-models"><strong>Not priced: ${esc(plural(s.estimatedUsd.unpricedPayloads, 'payload'))}.</strong> The price source does not know these models, so they have no estimate (not $0): ${unpriced
          .map((m) => `<code>${esc(`${m.provider}/${m.model}`)}</code> (${esc(int(m.unpricedPayloads))})`)
          .join(', ')}.</div>`
      : '',
  ].join('\n');
  return `<section id="models">
<h2>Top models</h2>
<p class="lead">Biggest estimated spend first (complete and not final together). Click a column to sort.</p>
<table class="sortable" id="models-table">
<thead><tr><th data-type="text">provider/model</th><th data-type="num">payloads</th><th data-type="num">input</th><th data-type="num">cached</th><th data-type="num">output</th><th data-type="num">estimate</th><th data-type="num">share</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
</table>
${callouts}
</section>`;
}

function endpointsSection(s: ImportSummary): string {
  const byTag = new Map<string | null, { name: string; payloads: number; requests: number; input: number; output: number; estimatedUsd: number; estimatedUsdNotFinal: number }>();
  for (const r of s.breakdown) {
    let e = byTag.get(r.endpointTag);
    if (!e) byTag.set(r.endpointTag, (e = { name: r.endpointTag ?? '', payloads: 0, requests: 0, input: 0, output: 0, estimatedUsd: 0, estimatedUsdNotFinal: 0 }));
    e.payloads += r.payloads;
    e.requests += r.requests;
    e.input += r.inputTokens;
    e.output += r.outputTokens;
    e.estimatedUsd += r.estimatedUsd ?? 0;
    e.estimatedUsdNotFinal += r.estimatedUsdNotFinal ?? 0;
  }
  const list = [...byTag.values()].sort(bySpend);
  if (list.length === 0) return '';
  const total = s.estimatedUsd.complete + s.estimatedUsd.partialNotFinal;
  const label = (name: string) => (name === '' ? '<em>(no endpointTag)</em>' : name === OTHER_ENDPOINTS ? `<em>${esc(name)}</em>` : esc(name));
  const rows = list
    .slice(0, TOP_ROWS)
    .map((e) => `<tr><td class="name">${label(e.name)}</td>${num(e.payloads, int(e.payloads))}${num(e.input, int(e.input))}${num(e.output, int(e.output))}${num(spendOf(e), usd(spendOf(e)), 'num money')}${num(spendOf(e), total > 0 ? percent(spendOf(e), total) : '–')}</tr>`);
  return `<section id="endpoints">
<h2>Top endpoints</h2>
<p class="lead">By endpointTag (the feature or route a request served), biggest estimate first.</p>
<table class="sortable" id="endpoints-table">
<thead><tr><th data-type="text">endpointTag</th><th data-type="num">payloads</th><th data-type="num">input</th><th data-type="num">output</th><th data-type="num">estimate</th><th data-type="num">share</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
${restRow(list.slice(TOP_ROWS), 'endpointTags', 6)}
</table>
</section>`;
}

/** The rows past the table's top ones, as one line under it. */
function restRow(rest: readonly { payloads: number; estimatedUsd: number | null; estimatedUsdNotFinal: number | null }[], what: string, columns: number): string {
  if (rest.length === 0) return '';
  const payloads = rest.reduce((n, r) => n + r.payloads, 0);
  const spend = rest.reduce((n, r) => n + spendOf(r), 0);
  return `<tfoot><tr><td colspan="${columns}">${esc(int(rest.length))} more ${what}: ${esc(plural(payloads, 'payload'))}, ${esc(usd(spend))}</td></tr></tfoot>`;
}

function usersSection(s: ImportSummary, users: UserSpend[] | undefined): string {
  if (!users || users.length === 0) return '';
  const total = s.estimatedUsd.complete + s.estimatedUsd.partialNotFinal;
  const named = users.filter((u) => u.user !== NO_USER && u.user !== OTHER_USERS);
  const name = (u: UserSpend, rank: number) => {
    if (u.user === NO_USER) return '<em>(no user id)</em>';
    if (u.user === OTHER_USERS) return `<em>(users past the first ${esc(int(MAX_USERS))}, together)</em>`;
    // Without --hash-user-ids the ids are raw (e-mail addresses, account names): the page names a rank only.
    if (!s.userIdsHashed) return `user ${esc(int(rank))}`;
    return `<code title="${esc(u.user)}">${esc(u.user.length > 18 ? `${u.user.slice(0, 18)}…` : u.user)}</code>`;
  };
  let rank = 0;
  const rows = users.slice(0, TOP_ROWS).map((u) => {
    const r = u.user === NO_USER || u.user === OTHER_USERS ? 0 : ++rank;
    return `<tr><td class="name">${name(u, r)}</td>${num(u.payloads, int(u.payloads))}${num(u.inputTokens, int(u.inputTokens))}${num(u.outputTokens, int(u.outputTokens))}${num(spendOf(u), usd(spendOf(u)), 'num money')}${num(
      spendOf(u),
      total > 0 ? percent(spendOf(u), total) : '–',
    )}</tr>`;
  });
  const note = s.userIdsHashed
    ? 'Users as the payloads name them: HMAC-SHA256 hashes of the source ids (--hash-user-ids), so the same person groups together and no raw id is in this page.'
    : 'The user ids in this import are not hashed (no --hash-user-ids), so this page names users by their rank only: raw ids (e-mail addresses, account names) must not travel with a page made to be passed on. Import with --hash-user-ids SALT to see their hashed ids here.';
  return `<section id="users">
<h2>Top users</h2>
<p class="lead">${esc(plural(named.length, 'user'))}, biggest estimate first. ${esc(note)}</p>
<table class="sortable" id="users-table">
<thead><tr><th data-type="text">user</th><th data-type="num">payloads</th><th data-type="num">input</th><th data-type="num">output</th><th data-type="num">estimate</th><th data-type="num">share</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
${restRow(
  users.slice(TOP_ROWS).map((u) => ({ payloads: u.payloads, estimatedUsd: u.estimatedUsd, estimatedUsdNotFinal: u.estimatedUsdNotFinal })),
  'users',
  6,
)}
</table>
</section>`;
}

function reasonTable(id: string, title: string, total: number, byReason: Record<string, number>, example?: (reason: string) => string): string {
  const entries = Object.entries(byReason);
  const body =
    entries.length === 0
      ? '<p>None.</p>'
      : `<table class="sortable" id="${id}"><thead><tr><th data-type="text">reason</th><th data-type="num">rows</th></tr></thead><tbody>${entries
          .map(([r, n]) => `<tr><td>${esc(example ? example(r) : r)}</td>${num(n, int(n))}</tr>`)
          .join('\n')}</tbody></table>`;
  return `<div class="outcome"><h3>${esc(title)}: ${esc(int(total))}</h3>${body}</div>`;
}

function outcomesSection(s: ImportSummary): string {
  const example = (group: string) => {
    const e = s.rejected.examples[group];
    if (!e) return group;
    const where = e.file ? ` (${e.file}:${e.line})` : '';
    return e.allSame ? `${e.reason}${where}` : `${group} — e.g. ${e.reason}${where}`;
  };
  return `<section id="outcomes">
<h2>Partial, skipped and rejected rows</h2>
<p class="lead">Every row read ends complete (${esc(int(s.complete))}), partial, skipped or rejected, each with its reason.</p>
<div class="outcomes">
${reasonTable('partial-table', 'Partial', s.partial.total, s.partial.byReason)}
${reasonTable('skipped-table', 'Skipped', s.skipped.total, s.skipped.byReason)}
${reasonTable('rejected-table', 'Rejected', s.rejected.total, s.rejected.byReason, example)}
</div>
</section>`;
}

function filesSection(s: ImportSummary): string {
  const formats = s.formats
    .map((f) => `<tr><td>${esc(f.format)}</td>${num(f.files.length, int(f.files.length))}${num(f.read, int(f.read))}${num(f.complete, int(f.complete))}${num(f.partial, int(f.partial))}${num(f.skipped, int(f.skipped))}${num(f.rejected, int(f.rejected))}</tr>`)
    .join('\n');
  const leftOut =
    s.leftOut.length > 0
      ? `<div class="callout warn" id="left-out"><strong>Left out: ${esc(plural(s.leftOut.length, 'file'))}</strong> (not imported; their rows are not in the counts):<ul>${s.leftOut
          .map((f) => `<li><code>${esc(f.file)}</code> ${esc(f.reason)}</li>`)
          .join('')}</ul></div>`
      : '';
  const excluded =
    s.excluded.files.length > 0
      ? `<p id="excluded">Excluded by --exclude ${esc(s.excluded.globs.join(', '))}: ${esc(plural(s.excluded.files.length, 'file'))}${
          s.excluded.files.length <= 20 ? ` (${s.excluded.files.map((f) => `<code>${esc(f)}</code>`).join(', ')})` : ''
        }.</p>`
      : '';
  return `<section id="files">
<h2>Formats and files</h2>
<table class="sortable" id="formats-table">
<thead><tr><th data-type="text">format</th><th data-type="num">files</th><th data-type="num">rows read</th><th data-type="num">complete</th><th data-type="num">partial</th><th data-type="num">skipped</th><th data-type="num">rejected</th></tr></thead>
<tbody>${formats}</tbody>
</table>
${leftOut}
${excluded}
</section>`;
}

function notesSection(s: ImportSummary): string {
  const notes = [
    ...s.notes,
    ...(s.batchPricing ? [`${plural(s.batchPricing.payloads, 'payload')} priced at the batch price (${Math.round(s.batchPricing.factor * 100)} % of list price, ${s.batchPricing.vendor})`] : []),
    ...(s.defaultsApplied.length > 0 ? [`defaults applied: ${s.defaultsApplied.map((d) => `${d.field}=${d.value} (${plural(d.payloads, 'payload')})`).join(', ')}`] : []),
  ];
  if (notes.length === 0) return '';
  return `<section id="notes"><h2>Notes</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
}

const CSS = `
:root{--ink:#1d2430;--muted:#5b6575;--line:#dfe3ea;--bg:#f6f7f9;--card:#fff;--accent:#2f6fbd;--warn:#a15c00;--bad:#b3261e;--ok:#1e7b34}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1080px;margin:0 auto;padding:24px}
header h1{margin:0 0 4px;font-size:24px}
.meta{margin:2px 0;color:var(--muted)}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0;break-inside:avoid}
h2{font-size:18px;margin:0 0 8px}
h3{font-size:15px;margin:0 0 6px}
.lead{color:var(--muted);margin:0 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.card .value{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.card.money .value{color:var(--accent)}
.card .label{color:var(--muted);font-size:12px}
.sharebar{display:flex;height:14px;border-radius:7px;overflow:hidden;background:var(--line);margin:14px 0 6px}
.seg{display:block;height:100%}
.complete{background:#2f6fbd}.partial{background:#e69f00}.unpriced{background:#b3261e}
.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 16px;color:var(--muted);font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.invariant{margin:12px 0 0;font-variant-numeric:tabular-nums}
.ok{color:var(--ok);font-weight:700}.bad{color:var(--bad);font-weight:700}
.chart{width:100%;height:auto;display:block;margin:6px 0}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .axis{stroke:#9aa3b1;stroke-width:1}
.chart text{fill:var(--muted);font-size:11px;font-family:inherit}
.chart .undated-frame{fill:none;stroke:#9aa3b1;stroke-dasharray:3 3}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px;white-space:nowrap}
.sortable th{cursor:pointer}
.sortable th[aria-sort=ascending]::after{content:" ▲"}.sortable th[aria-sort=descending]::after{content:" ▼"}
td.num{text-align:right;white-space:nowrap}
td.money{font-weight:600}
td.name{word-break:break-all}
tfoot td{color:var(--muted);font-style:italic}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f5;padding:1px 4px;border-radius:3px}
.flag{display:inline-block;margin-left:6px;padding:0 5px;border-radius:3px;font-size:11px;background:#eef1f5;color:var(--muted)}
.flag.unknown{background:#fde8e7;color:var(--bad)}.flag.unpriced{background:#fff1dc;color:var(--warn)}
.callout{border-left:4px solid var(--accent);background:#f1f6fd;padding:8px 12px;margin:12px 0;border-radius:4px}
.callout.warn{border-color:var(--bad);background:#fdf1f0}
.callout ul{margin:6px 0 0;padding-left:18px}
.outcomes{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:16px}
.note{color:var(--muted);font-size:12px}
details summary{cursor:pointer;color:var(--muted);margin:8px 0}
footer{color:var(--muted);font-size:12px;margin:8px 0 24px}
@media print{
  body{background:#fff;font-size:11px}
  main{max-width:none;padding:0}
  section{border:none;padding:0;margin:0 0 14px}
  .sortable th{cursor:auto}
  .sortable th::after{content:none!important}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

/** Sorting on a click on a column's header: by each cell's data-v (numbers) or its text. Nothing else runs. */
const SORT_SCRIPT = `
for (const th of document.querySelectorAll('table.sortable thead th')) {
  th.addEventListener('click', () => {
    const table = th.closest('table');
    const col = [...th.parentNode.children].indexOf(th);
    const numeric = th.dataset.type === 'num';
    const dir = th.getAttribute('aria-sort') === 'descending' ? 1 : -1;
    for (const other of table.querySelectorAll('thead th')) other.removeAttribute('aria-sort');
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    const key = (row) => { const cell = row.cells[col]; return numeric ? Number(cell.dataset.v) : cell.textContent.trim().toLowerCase(); };
    const body = table.tBodies[0];
    const rows = [...body.rows].sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
    body.append(...rows);
  });
}
`;
