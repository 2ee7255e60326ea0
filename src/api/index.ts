/**
 * The programmatic API, `import { lintPayload, validateFiles, startEmulator } from 'opsmeter'`
 * (docs/api.md). A thin layer over the core the CLI runs, so a unit test and
 * `opsmeter validate` judge a payload alike. Like src/cli/ it is an entry point: nothing in
 * src/ imports it. Only the linter and the catalog load at import time; the file readers,
 * the report and the emulator load on first use of the function that needs them.
 */
import { statSync } from 'node:fs';
import { catalogFromJson, type Catalog, type CatalogEntry } from '../contract/catalog.js';
import { catalogCachePath, describeCatalog, loadCatalog } from '../contract/catalog-file.js';
import type { DataMode, Environment, PartialReason, Payload, Status } from '../contract/fields.js';
import { lintPayload as lintRecord } from '../contract/lint.js';
import { rulePolicy, type RuleLevel, type RuleSettings } from '../contract/rule-settings.js';
import type { Severity } from '../contract/rules.js';
import type { EmulatorOptions as ServerOptions, EmulatorStats, RequestLogEntry } from '../emulator/server.js';
import { EXIT, OpsmeterError } from '../errors.js';
import type { JsonReport } from '../report/json.js';
import { VERSION } from '../version.js';

export { EXIT, OpsmeterError, VERSION };
export type { CatalogEntry, DataMode, EmulatorStats, Environment, PartialReason, Payload, RequestLogEntry, RuleLevel, RuleSettings, Severity, Status };

/** One problem with one payload: what `validate` reports, without the file position. */
export interface Problem {
  /** Stable rule id, e.g. "payload/type" (docs/validate.md lists them all). */
  rule: string;
  severity: Severity;
  /** RFC 6901 pointer into the payload ("" = the payload itself), e.g. "/inputTokens". */
  pointer: string;
  message: string;
  /** What to do about it. */
  hint: string;
}

/** The document `opsmeter validate --format json` prints (docs/validate.md, "json"). */
export type ValidationReport = JsonReport;
/** A problem in a file: a Problem plus where it is (1-based line and column). */
export type ReportProblem = JsonReport['problems'][number];
export type FileSummary = JsonReport['files'][number];

/** A catalog entry as a catalog file spells it (prices per million tokens). */
export interface CatalogDocumentEntry {
  provider: string;
  model: string;
  inputPer1M?: number | null;
  outputPer1M?: number | null;
  cacheReadPer1M?: number | null;
  cacheWritePer1M?: number | null;
  source?: string;
}

/** A parsed catalog file: `{date?, models: [...]}` or a bare array of entries. */
export type CatalogDocument = { date?: string; models: CatalogDocumentEntry[] } | CatalogDocumentEntry[];

export interface LintOptions {
  /**
   * The catalog to check provider/model ids against: a path to a catalog JSON file, or the
   * parsed document. Default: as the CLI — `OPSMETER_CATALOG`, else the cache
   * `opsmeter catalog --fetch` wrote, else the built-in dated snapshot.
   */
  catalog?: string | CatalogDocument;
  /**
   * Severity per rule id, as in opsmeter.config.json: `{ "payload/missing-latency": "off" }`.
   * An unknown rule id or level throws an OpsmeterError (exitCode 2) naming it. The object is
   * compiled once: do not mutate it between calls.
   */
  rules?: RuleSettings;
  /** The clock for the createdAt age checks (epoch ms or a Date); default now. */
  now?: number | Date;
}

export interface ValidateFilesOptions extends LintOptions {
  /** Recorded in the report's summary (warnings fail the run); default false. */
  strict?: boolean;
  /** Recorded in the report's summary: more warnings than this fail the run. */
  maxWarnings?: number;
  /**
   * Report errors only, as `--quiet` (ESLint 9's): warnings are not checked, unless `strict` or
   * `maxWarnings` needs their count (then they are counted, not listed: `summary.quietWarnings`).
   */
  quiet?: boolean;
  /** List at most this many problems (counts stay exact); default: all of them. */
  maxErrors?: number;
  /** Stop at the first error; later files are not read. */
  bail?: boolean;
  /** A directory or glob without payload files is not an error. */
  allowEmpty?: boolean;
}

/**
 * Lint one parsed payload against the ingest contract and the catalog. Returns [] for a
 * clean payload. Checks that need the file or the whole run (JSON syntax, duplicate keys,
 * an externalRequestId reused across payloads) are validateFiles' job.
 */
export function lintPayload(value: unknown, options: LintOptions = {}): Problem[] {
  const findings = lintRecord(value, { catalog: catalogFor(options.catalog), now: clockOf(options.now), rules: options.rules });
  // Every problem says what to do: the finding's own hint, else the rule's (as validate does).
  return findings.map((f) => ({ rule: f.rule.id, severity: f.rule.severity, pointer: f.pointer, message: f.message, hint: f.hint ?? f.rule.hint }));
}

/**
 * Validate payload files, directories (recursively: *.json, *.jsonl, *.ndjson) and globs,
 * as `opsmeter validate --format json` does, and return its report. A path that does not
 * exist, or an unreadable file, rejects with an OpsmeterError (exitCode 2), as the CLI exits 2.
 * The run failed (the CLI would exit 1) when `summary.errors > 0`, or `summary.strict` and
 * `warnings > 0`, or `warnings > summary.maxWarnings`.
 */
export async function validateFiles(paths: string | readonly string[], options: ValidateFilesOptions = {}): Promise<ValidationReport> {
  const list = typeof paths === 'string' ? [paths] : [...paths];
  if (!list.every((p) => typeof p === 'string' && p !== '')) throw new TypeError('validateFiles: paths must be non-empty strings');
  // "-" would read this process's stdin, which a test runner never closes: a hang, not a report.
  if (list.includes('-')) throw new TypeError('validateFiles reads files, not stdin ("-"); lint parsed values with lintPayload');
  const maxErrors = options.maxErrors ?? Infinity;
  if (!(maxErrors === Infinity || (Number.isSafeInteger(maxErrors) && maxErrors >= 0))) {
    throw new TypeError(`validateFiles: maxErrors must be a whole number ≥ 0, got ${String(options.maxErrors)}`);
  }
  if (options.maxWarnings !== undefined && !(Number.isSafeInteger(options.maxWarnings) && options.maxWarnings >= 0)) {
    throw new TypeError(`validateFiles: maxWarnings must be a whole number ≥ 0, got ${String(options.maxWarnings)}`);
  }
  const catalog = catalogFor(options.catalog);
  const rules = options.rules === undefined ? undefined : rulePolicy(options.rules);
  const [{ expandPaths, noPayloadFiles }, { validateSources, quietCountsWarnings }, { jsonReport }] = await Promise.all([
    import('../read/paths.js'),
    import('../validate/validate.js'),
    import('../report/json.js'),
  ]);
  if (list.length === 0 && !options.allowEmpty) {
    throw new OpsmeterError('no input: give payload files, directories or globs', EXIT.usage, 'validateFiles(["payloads/"]); allowEmpty: true makes this an empty report');
  }
  const expanded = await expandPaths(list);
  if (expanded.emptyMatches.length > 0 && !options.allowEmpty) {
    throw noPayloadFiles(expanded.emptyMatches, 'check the path or the glob; allowEmpty: true makes this an empty report');
  }
  const countQuietWarnings = quietCountsWarnings({ strict: options.strict === true, maxWarnings: options.maxWarnings });
  const result = await validateSources(expanded.sources, { catalog, now: clockOf(options.now), bail: options.bail, maxProblems: maxErrors, quiet: options.quiet === true, countQuietWarnings, rules });
  return jsonReport(result, {
    strict: options.strict === true,
    maxWarnings: options.maxWarnings,
    ruleSettings: rules?.overrides,
    version: VERSION,
    catalog: describeCatalog(catalog),
  });
}

export interface EmulatorOptions extends Omit<ServerOptions, 'catalog' | 'clock' | 'port'> {
  /** Port to listen on; default 0 (a free port: read it from `url`). The CLI's default is 8787. */
  port?: number;
  /** Catalog for prices (budgets) and the pricing-models endpoint; as in LintOptions. */
  catalog?: string | CatalogDocument;
}

export interface RunningEmulator {
  /** e.g. "http://127.0.0.1:53123": give it to `opsmeter send --base-url` or your client. */
  url: string;
  port: number;
  /** The X-API-Key the emulator accepts (options.apiKey, else "om_test_local"). */
  apiKey: string;
  /** The PRNG seed in use, to reproduce a run with fault injection. */
  seed: number;
  /** Accepted rows in arrival order (one per externalRequestId). */
  rows(): readonly Payload[];
  stats(): EmulatorStats;
  /** Stops the server and flushes the store; resolves when it is closed. */
  close(): Promise<void>;
}

/**
 * Start a local Opsmeter-compatible ingest server (docs/emulate.md) on 127.0.0.1 unless
 * `host` says otherwise. Rejects with the listen error (e.g. code EADDRINUSE) when the port is taken.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const [{ startEmulator: start }, { DEFAULT_EMULATOR_KEY }] = await Promise.all([import('../emulator/server.js'), import('../emulator/constants.js')]);
  const { catalog, ...rest } = options;
  const apiKey = options.apiKey ?? DEFAULT_EMULATOR_KEY;
  const emulator = await start({ ...rest, apiKey, port: options.port ?? 0, catalog: catalogFor(catalog) });
  return {
    url: emulator.url,
    port: emulator.port,
    apiKey,
    seed: emulator.seed,
    rows: () => emulator.rows(),
    stats: () => emulator.stats(),
    close: () => emulator.close(),
  };
}

function clockOf(now: number | Date | undefined): number {
  const ms = now instanceof Date ? now.getTime() : (now ?? Date.now());
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TypeError(`now must be epoch milliseconds or a valid Date, got ${String(now)}`);
  return ms;
}

/** Catalogs already read, so a test suite that lints thousands of payloads parses a file once. */
const fromFiles = new Map<string, { stamp: string; catalog: Catalog }>();
const fromDocuments = new WeakMap<object, Catalog>();

function catalogFor(option: string | CatalogDocument | undefined): Catalog {
  if (typeof option === 'object' && option !== null) {
    let catalog = fromDocuments.get(option);
    if (!catalog) {
      try {
        catalog = catalogFromJson(option, 'catalog option');
      } catch (e) {
        throw new OpsmeterError(`the catalog option is not usable: ${(e as Error).message}`, EXIT.usage);
      }
      fromDocuments.set(option, catalog);
    }
    return catalog;
  }
  if (option !== undefined && (typeof option !== 'string' || option === '')) {
    throw new TypeError('catalog must be a path to a catalog JSON file or a parsed catalog document');
  }
  const file = option ?? (process.env.OPSMETER_CATALOG || undefined);
  // Re-read only when the file changed (or the fetched cache appeared or went away).
  const path = file ?? catalogCachePath();
  let stamp = 'absent';
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st) stamp = `${st.mtimeMs}:${st.size}`;
  } catch {
    // Not stat-able (ENOTDIR, EACCES): loadCatalog below reports it as it reads the file.
  }
  const hit = fromFiles.get(path);
  if (hit?.stamp === stamp) return hit.catalog;
  const catalog = loadCatalog(file);
  fromFiles.set(path, { stamp, catalog });
  return catalog;
}
