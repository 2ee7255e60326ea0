/**
 * The plan of `opsmeter import`: its flags checked and resolved, pure (see plan.ts). The
 * checks that need the input are the action's (import.ts): which format each file is
 * (--from auto), then checkFormatsFound (--batch-id and --model against what was found),
 * the CSV headers against --map, and opsmeter.config.json. With --send, openTarget
 * (send-session.ts) looks up a *.localhost target and reads an --api-key-file before the
 * import starts.
 */
import { Command } from 'commander';
import type { ConfigFlags } from './config-options.js';
import type { SendFlags } from './send-options.js';
import { addSendOptions } from './send-options.js';
import { planSession, type SessionPlan } from './send-plan.js';
import { countFromEnv, parallelPlan } from './shared.js';
import { daysFromCivil, daysInMonth } from '../contract/calendar.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { missingMappings, parseMap } from '../importers/adapters/generic.js';
import { planOrError, type CommandLine, type PlanEnv } from './plan.js';
import { DEFAULT_TOLERANCE_PCT, parseTolerance } from './reconcile-plan.js';

/** The --from values, listed here (not read from the adapter registry) so defining the command stays cheap. */
export const FORMATS = ['auto', 'openai-batch', 'openai-log', 'anthropic-batch', 'anthropic-log', 'claude-code', 'codex', 'gemini', 'gemini-cli', 'opencode', 'otel', 'litellm', 'openrouter', 'bedrock', 'csv', 'jsonl'];
/** The formats a --batch-id applies to (auto: when it finds one of them). */
const BATCH_FORMATS = ['auto', 'openai-batch', 'anthropic-batch', 'bedrock'];

/** `opsmeter import`'s flags as commander parses them. */
export interface ImportFlags extends SendFlags, ConfigFlags {
  send?: boolean;
  from: string;
  map: string[];
  output?: string;
  rejects?: string;
  summaryJson?: string;
  dataMode: 'real' | 'test' | 'demo';
  environment: 'prod' | 'staging' | 'dev';
  endpointTag?: string;
  promptVersion?: string;
  hashUserIds?: string;
  stdinFilename?: string;
  catalog?: string;
  batchId?: string;
  provider?: string;
  model?: string;
  report?: string;
  since?: string;
  until?: string;
  exclude: string[];
  against?: string[];
  tolerance?: string;
}

/** --since / --until: epoch ms (since inclusive, until exclusive) and the same instants as UTC ISO for the summary. */
export interface ImportWindow {
  since: number | undefined;
  until: number | undefined;
  sinceIso: string | null;
  untilIso: string | null;
}

/** The values of fields a source lacks (undefined: none). */
export interface ImportDefaults {
  dataMode: 'real' | 'test' | 'demo';
  environment: 'prod' | 'staging' | 'dev';
  endpointTag: string | undefined;
  promptVersion: string | undefined;
}

export interface ImportPlan {
  /** Files, directories and globs; ['-'] is stdin. */
  paths: string[];
  /** What reports call stdin (its extension picks CSV or JSON). */
  stdinName?: string;
  /** A format id, or auto (sniff each file). */
  from: string;
  /** --map, parsed (the generic formats; {} otherwise). */
  map: Record<string, string>;
  batchId?: string;
  /** Bedrock batch output: the model of every line. */
  model?: string;
  /** The provider of every payload. */
  provider?: string;
  /** --hash-user-ids (or OPSMETER_HASH_SALT). */
  hashSalt?: string;
  defaults: ImportDefaults;
  /** opsmeter.config.json and --rule, read by the action; --catalog (or OPSMETER_CATALOG) beats the config's catalog. */
  config: ConfigFlags;
  catalog?: string;
  /** -o FILE; undefined (or `-o -`): stdout, unless the payloads are sent. */
  output?: string;
  rejects?: string;
  summaryJson?: string;
  /** --send: the sender's plan; the payloads go to the API (and to `output`, if given), not to stdout. */
  send?: SessionPlan;
  /** Worker threads for large JSONL files (OPSMETER_IMPORT_WORKERS). */
  parallel: ReturnType<typeof parallelPlan>;
  /** Ids the duplicate-id index keeps in memory before it spills (OPSMETER_IMPORT_INDEX_ENTRIES, for tests; default: the index's own). */
  idIndexEntries?: number;
  /** --report FILE.html: the import's report as one self-contained page. */
  report?: string;
  /** --since / --until; undefined: every row's date is kept. */
  window?: ImportWindow;
  /** --exclude globs: files the paths expand to that are not read. */
  exclude: string[];
  /** At most one redraw of the progress line per this many ms (OPSMETER_IMPORT_PROGRESS_MS, for tests; default 250). */
  progressEveryMs: number;
  /** --against REPORT…: the import's coverage of the providers' reports (docs/import.md), within --tolerance. */
  against?: { reports: string[]; tolerancePct: number };
}

/** The send flags `import` takes for --send only, attribute name → flag (all but --catalog, which the import uses too). */
const SEND_ONLY = new Map(
  addSendOptions(new Command())
    .options.filter((o) => o.attributeName() !== 'catalog')
    .map((o) => [o.attributeName(), o.long ?? o.flags]),
);

export function planImport(line: CommandLine<ImportFlags>, env: PlanEnv): ImportPlan | OpsmeterError {
  return planOrError(() => {
    const { flags } = line;
    // --send's preconditions first: a refused send must not cost an import.
    const send = planImportSend(line, env);
    const map = planMap(flags);
    if (flags.hashUserIds !== undefined && flags.hashUserIds === '') throw new OpsmeterError('--hash-user-ids needs a non-empty salt', EXIT.usage);
    if (flags.batchId !== undefined) {
      if (!BATCH_FORMATS.includes(flags.from)) throw new OpsmeterError(`--batch-id applies to --from openai-batch, anthropic-batch and bedrock (batch output) only`, EXIT.usage);
      if (!/^[\x21-\x7e]{1,128}$/.test(flags.batchId)) throw new OpsmeterError('--batch-id must be 1–128 printable characters without spaces', EXIT.usage, 'e.g. --batch-id msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d');
    }
    if (flags.provider !== undefined && !/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(flags.provider)) {
      throw new OpsmeterError('--provider must be a provider id (letters, digits, . _ -)', EXIT.usage, 'e.g. --provider mistral (see `opsmeter catalog` for the ids)');
    }
    if (flags.model !== undefined) {
      if (flags.from !== 'auto' && flags.from !== 'bedrock') throw new OpsmeterError('--model applies to --from bedrock (batch output lines that name no model) only', EXIT.usage);
      if (!/^[\x21-\x7e]{1,256}$/.test(flags.model)) throw new OpsmeterError('--model must be a model id (printable characters, no spaces)', EXIT.usage, 'e.g. --model amazon.titan-text-express-v1');
    }
    checkOutputs(flags);
    const window = planWindow(flags);
    let paths = line.paths;
    if (paths.length === 0) {
      if (env.stdinPiped) paths = ['-'];
      else throw new OpsmeterError('no input: give export files, directories or globs, or pipe one on stdin', EXIT.usage, 'opsmeter import spend.csv --from litellm');
    }
    return {
      paths,
      stdinName: flags.stdinFilename,
      from: flags.from,
      map,
      batchId: flags.batchId,
      model: flags.model,
      provider: flags.provider,
      hashSalt: flags.hashUserIds,
      defaults: { dataMode: flags.dataMode, environment: flags.environment, endpointTag: flags.endpointTag, promptVersion: flags.promptVersion },
      config: { config: flags.config, rule: flags.rule },
      catalog: flags.catalog,
      output: flags.output === '-' ? undefined : flags.output,
      rejects: flags.rejects,
      summaryJson: flags.summaryJson,
      send,
      parallel: parallelPlan('OPSMETER_IMPORT_WORKERS', env.vars, env.cores),
      idIndexEntries: countFromEnv('OPSMETER_IMPORT_INDEX_ENTRIES', env.vars),
      report: flags.report,
      window,
      exclude: flags.exclude ?? [],
      progressEveryMs: progressInterval(env.vars.OPSMETER_IMPORT_PROGRESS_MS),
      against: planAgainst(flags),
    };
  });
}

/** --against and --tolerance: the reports are files (stdin may carry the logs); --tolerance means nothing without them. */
function planAgainst(flags: ImportFlags): ImportPlan['against'] {
  const reports = flags.against;
  if (reports === undefined || reports.length === 0) {
    if (flags.tolerance !== undefined) throw new OpsmeterError('--tolerance applies with --against only (the coverage of the reports given)', EXIT.usage, 'opsmeter import logs/ -o payloads.jsonl --against usage.json --tolerance 2');
    return undefined;
  }
  if (reports.includes('-')) throw new OpsmeterError('--against takes report files, not stdin', EXIT.usage, 'save the pages first (docs/reconcile.md shows the curl lines)');
  for (const [flag, file] of [['-o', flags.output], ['--rejects', flags.rejects], ['--summary-json', flags.summaryJson], ['--report', flags.report]] as const) {
    if (file !== undefined && reports.includes(file)) throw new OpsmeterError(`--against ${file} is also ${flag}'s file: the import would overwrite the report it is checked against`, EXIT.usage);
  }
  return { reports, tolerancePct: flags.tolerance === undefined ? DEFAULT_TOLERANCE_PCT : parseTolerance(flags.tolerance) };
}

/** --report: a file of its own (not stdout, not a file another output writes). */
function checkOutputs(flags: ImportFlags): void {
  const report = flags.report;
  if (report === undefined) return;
  if (report === '' || report === '-') throw new OpsmeterError('--report needs a file name: the report is a page, not stdout output', EXIT.usage, 'e.g. --report import-report.html');
  for (const [flag, file] of [['-o', flags.output], ['--rejects', flags.rejects], ['--summary-json', flags.summaryJson]] as const) {
    if (file === report) throw new OpsmeterError(`--report ${report} is also ${flag}'s file: one would overwrite the other`, EXIT.usage, 'give the report a name of its own, e.g. import-report.html');
  }
}

/** --since and --until, checked and as instants (docs/import.md "--since and --until"). */
export function planWindow(flags: Pick<ImportFlags, 'since' | 'until'>): ImportWindow | undefined {
  if (flags.since === undefined && flags.until === undefined) return undefined;
  const since = flags.since === undefined ? undefined : windowBound('--since', flags.since, 'start');
  const until = flags.until === undefined ? undefined : windowBound('--until', flags.until, 'end');
  if (since !== undefined && until !== undefined && since >= until) {
    throw new OpsmeterError(`--since ${flags.since} is not before --until ${flags.until}: no row could be kept`, EXIT.usage, '--until takes a whole day when given a date: --since 2026-06-01 --until 2026-06-01 keeps that day');
  }
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return { since, until, sinceIso: iso(since), untilIso: iso(until) };
}

const BOUND = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

/**
 * One bound as epoch ms, UTC. A date-time is that instant (a zone is optional; none means
 * UTC). A date is the start of that day, and for --until its end: the window runs up to the
 * next day's 00:00 UTC, which it does not include, so `--until 2026-06-30` keeps all of June 30.
 */
function windowBound(flag: string, value: string, side: 'start' | 'end'): number {
  const m = BOUND.exec(value.trim());
  const bad = () =>
    new OpsmeterError(`${flag} ${JSON.stringify(value)} is not an ISO date or date-time`, EXIT.usage, `e.g. ${flag} 2026-06-01 (a UTC day) or ${flag} 2026-06-01T12:00:00Z`);
  if (!m) throw bad();
  const [, y, mo, d, h, mi, sec, ms, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw bad();
  const days = daysFromCivil(year, month, day);
  if (h === undefined) return (days + (side === 'end' ? 1 : 0)) * 86_400_000;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59) throw bad();
  let offset = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const [oh, om] = zone.slice(1).split(':').map(Number) as [number, number];
    if (oh > 23 || om > 59) throw bad();
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return days * 86_400_000 + Number(h) * 3_600_000 + Number(mi) * 60_000 + Number(sec ?? 0) * 1000 + Number((ms ?? '0').padEnd(3, '0')) - offset;
}

/** OPSMETER_IMPORT_PROGRESS_MS: a whole number of ms, 0 for every chance (tests); default 250. */
function progressInterval(setting: string | undefined): number {
  if (setting === undefined || setting === '') return 250;
  if (/^\d{1,7}$/.test(setting)) return Number(setting);
  throw new OpsmeterError(`OPSMETER_IMPORT_PROGRESS_MS must be a whole number of milliseconds, got ${JSON.stringify(setting)}`, EXIT.usage);
}

/** --send's preconditions, checked before anything is read or written; without --send, no send flag applies. */
function planImportSend({ flags, given }: CommandLine<ImportFlags>, env: PlanEnv): SessionPlan | undefined {
  if (!flags.send) {
    const name = [...given].find((n) => SEND_ONLY.has(n));
    if (name) throw new OpsmeterError(`${SEND_ONLY.get(name)} applies with --send only`, EXIT.usage, 'add --send to send the payloads as they are imported');
    return undefined;
  }
  if (flags.output === '-') throw new OpsmeterError('with --send the payloads go to the API, not to stdout', EXIT.usage, 'keep a copy with -o FILE');
  if (flags.dataMode === 'real' && !flags.allowReal) {
    throw new OpsmeterError(
      `refusing to send: the imported payloads are dataMode "real"${given.has('dataMode') ? '' : ' (the default of --data-mode)'}, and real data is sent only with --allow-real`,
      EXIT.usage,
      'for a trial run use --data-mode test (and --environment staging); for a real backfill add --allow-real',
    );
  }
  // The target and the key before the import starts, so a typo does not cost a long import.
  return planSession(flags, env);
}

/** --map belongs to the generic formats, which cannot be sniffed, and they need it. */
function planMap(flags: ImportFlags): Record<string, string> {
  const generic = flags.from === 'csv' || flags.from === 'jsonl';
  if (!generic) {
    if (flags.map.length > 0) throw new OpsmeterError(`--map applies to --from csv and --from jsonl only${flags.from === 'auto' ? ' (auto cannot pick a generic format)' : ''}`, EXIT.usage);
    return {};
  }
  const map = parseMap(flags.map);
  const missing = missingMappings(map);
  if (missing.length > 0) {
    const csv = flags.from === 'csv';
    throw new OpsmeterError(
      `--from ${flags.from} needs --map for ${missing.join(', ')}`,
      EXIT.usage,
      `e.g. --map provider=vendor --map model=model_name --map inputTokens=${csv ? 'prompt_tokens' : 'usage.prompt_tokens'} --map outputTokens=${csv ? 'completion_tokens' : 'usage.completion_tokens'} (provider may be a literal: --map "provider='openai'")`,
    );
  }
  return map;
}

/** --batch-id and --model against the formats the run found (a check that needs the input: --from auto reads it). */
export function checkFormatsFound(plan: ImportPlan, ids: readonly string[]): OpsmeterError | undefined {
  const chose = ids.length === 1 ? `--from auto chose ${ids[0]}` : `--from auto found ${ids.join(', ')}`;
  if (plan.batchId !== undefined && !ids.some((id) => BATCH_FORMATS.includes(id))) {
    return new OpsmeterError(`--batch-id applies to openai-batch, anthropic-batch and bedrock files; ${chose}`, EXIT.usage);
  }
  if (plan.model !== undefined && !ids.includes('bedrock')) return new OpsmeterError(`--model applies to bedrock batch output; ${chose}`, EXIT.usage);
  return undefined;
}
