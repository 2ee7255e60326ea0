/**
 * The programmatic API, `import { lintPayload, validateFiles, startEmulator } from 'opsmeter'`
 * (docs/api.md). A thin layer over the core the CLI runs, so a unit test and
 * `opsmeter validate` judge a payload alike. Like src/cli/ it is an entry point: nothing in
 * src/ imports it. Only the linter and the catalog load at import time; the file readers,
 * the report, the config schema (zod) and the emulator load on first use of the function
 * that needs them.
 *
 * Configuration is split as ESLint splits it between its sync `Linter` (given a config) and
 * its async `ESLint` class (which finds one): validateFiles finds opsmeter.config.json as the
 * CLI does; lintPayload, being synchronous, takes one loaded with loadConfig.
 */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { catalogFromJson, type Catalog, type CatalogEntry } from '../contract/catalog.js';
import { catalogCachePath, describeCatalog, loadCatalog } from '../contract/catalog-file.js';
import type { DataMode, Environment, PartialReason, Payload, Status } from '../contract/fields.js';
import { lintPayload as lintRecord } from '../contract/lint.js';
import { rulePolicy, type RuleLevel, type RuleSettings } from '../contract/rule-settings.js';
import type { Severity } from '../contract/rules.js';
import { findConfigFile } from '../config/find.js';
import { ConfigFileError, type OpsmeterConfig } from '../config/load.js';
import { configFor, mergeRules } from '../config/settings.js';
import type { AdminEvent, FaultPatch, FaultSettings, EmulatorOptions as ServerOptions, EmulatorStats, RequestFinding, RequestLogEntry, RequestRecord } from '../emulator/server.js';
import { EXIT, OpsmeterError } from '../errors.js';
import type { JsonReport } from '../report/json.js';
import { VERSION } from '../version.js';

export { ConfigFileError, EXIT, OpsmeterError, VERSION };
export type {
  AdminEvent,
  CatalogEntry,
  DataMode,
  EmulatorStats,
  Environment,
  FaultPatch,
  FaultSettings,
  OpsmeterConfig,
  PartialReason,
  Payload,
  RequestFinding,
  RequestLogEntry,
  RequestRecord,
  RuleLevel,
  RuleSettings,
  Severity,
  Status,
};

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
   * Laid over the config's rules, rule by rule (as `--rule` over the file). An unknown rule id
   * or level throws an OpsmeterError (exitCode 2) naming it. The object is compiled once: do
   * not mutate it between calls.
   */
  rules?: RuleSettings;
  /**
   * A config loaded with `loadConfig()`: its `rules` and `catalog` apply (the options above
   * beat them). lintPayload never reads a file itself; undefined (no config found) is fine.
   */
  config?: OpsmeterConfig;
  /** The clock for the createdAt age checks (epoch ms or a Date); default now. */
  now?: number | Date;
}

export interface ValidateFilesOptions extends Omit<LintOptions, 'config'> {
  /**
   * opsmeter.config.json, as the CLI finds it: default, the one in `cwd` or the nearest parent
   * up to the git root; a path (relative to `cwd`) names one (the CLI's --config); `false`
   * ignores config files (--no-config); or a config loaded with `loadConfig()`. Its `rules`,
   * `catalog`, `ignore` and `maxWarnings` apply; the options given here beat them.
   */
  config?: string | false | OpsmeterConfig;
  /** Where the config is looked for and relative paths start; default process.cwd(). */
  cwd?: string;
  /** Recorded in the report's summary (warnings fail the run); default false. */
  strict?: boolean;
  /** Recorded in the report's summary: more warnings than this fail the run (beats the config's maxWarnings). */
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
  /** Globs of files to skip, relative to `cwd`, beside the config's `ignore` (the CLI's --ignore-pattern). */
  ignorePatterns?: string[];
}

/**
 * Lint one parsed payload against the ingest contract and the catalog. Returns [] for a
 * clean payload. Checks that need the file or the whole run (JSON syntax, duplicate keys,
 * an externalRequestId reused across payloads) are validateFiles' job.
 */
export function lintPayload(value: unknown, options: LintOptions = {}): Problem[] {
  const config = options.config;
  if (config !== undefined && !isLoadedConfig(config)) {
    throw new TypeError('lintPayload: config must be what loadConfig() returned (lintPayload is synchronous and reads no file; validateFiles takes a path)');
  }
  const rules = rulesFor(config, options.rules);
  const findings = lintRecord(value, { catalog: catalogFor(options.catalog ?? configCatalog(config)), now: clockOf(options.now), rules });
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
  if (options.cwd !== undefined && (typeof options.cwd !== 'string' || options.cwd === '')) throw new TypeError('validateFiles: cwd must be a directory path');
  if (!(options.config === undefined || options.config === false || typeof options.config === 'string' || isLoadedConfig(options.config))) {
    throw new TypeError('validateFiles: config must be a path, false, or what loadConfig() returned');
  }
  const cwd = resolve(options.cwd ?? '.');
  const config = await configFor(options.config, cwd);
  const catalog = catalogFor(options.catalog ?? configCatalog(config));
  const ruleSettings = rulesFor(config, options.rules);
  const rules = ruleSettings === undefined ? undefined : rulePolicy(ruleSettings);
  const maxWarnings = options.maxWarnings ?? config?.maxWarnings;
  const [{ expandPaths, noPayloadFiles }, { validateSources, quietCountsWarnings }, { jsonReport }, { resolveSettings }] = await Promise.all([
    import('../read/paths.js'),
    import('../validate/validate.js'),
    import('../report/json.js'),
    import('../config/settings.js'),
  ]);
  if (list.length === 0 && !options.allowEmpty) {
    throw new OpsmeterError('no input: give payload files, directories or globs', EXIT.usage, 'validateFiles(["payloads/"]); allowEmpty: true makes this an empty report');
  }
  // With a cwd, relative paths start there and files are named relative to it, as a CLI run from that folder names them.
  const expanded = await expandPaths(options.cwd === undefined ? list : list.map((p) => (isAbsolute(p) ? p : resolve(cwd, p))));
  if (expanded.emptyMatches.length > 0 && !options.allowEmpty) {
    throw noPayloadFiles(expanded.emptyMatches, 'check the path or the glob; allowEmpty: true makes this an empty report');
  }
  const sources = options.cwd === undefined ? expanded.sources : expanded.sources.map((s) => ({ ...s, name: relative(cwd, s.path) || s.path }));
  // --ignore-pattern and the config's ignore globs, as the CLI applies them (its settings without rules: those are resolved above).
  const { kept } = await (await resolveSettings({ config: config ?? false, cwd, ignorePatterns: options.ignorePatterns })).filter(sources);
  const countQuietWarnings = quietCountsWarnings({ strict: options.strict === true, maxWarnings });
  const result = await validateSources(kept, { catalog, now: clockOf(options.now), bail: options.bail, maxProblems: maxErrors, quiet: options.quiet === true, countQuietWarnings, rules });
  return jsonReport(result, {
    strict: options.strict === true,
    maxWarnings,
    ruleSettings: rules?.overrides,
    version: VERSION,
    catalog: describeCatalog(catalog),
  });
}

export interface EmulatorOptions extends Omit<ServerOptions, 'catalog' | 'clock' | 'port' | 'rules' | 'storeDurable'> {
  /** Port to listen on; default 0 (a free port: read it from `url`). The CLI's default is 8787. */
  port?: number;
  /** Catalog for prices (budgets), the catalog warnings and the pricing-models endpoint; as in LintOptions. */
  catalog?: string | CatalogDocument;
  /**
   * Severity per rule id for the findings in `requests()`, as in LintOptions (laid over
   * `config`'s). They never change an answer: the emulator models the server.
   */
  rules?: RuleSettings;
  /** A config loaded with `loadConfig()`: its `rules` and `catalog` apply, as for lintPayload. */
  config?: OpsmeterConfig;
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
  /** What was received: the kept request records numbered above `since` (default 0), in order of arrival, each with its findings. */
  requests(since?: number): RequestRecord[];
  /** Forget the rows (the store's too), the counters, the limits' state and the request log; the fault settings stay. */
  reset(): Promise<{ rows: number; requests: number }>;
  /** Change fault settings (null: back to the default); the next request is answered by them. Throws a RangeError or TypeError for a bad value. */
  setFaults(patch: FaultPatch): FaultSettings;
  /** The fault settings in force. */
  faults(): FaultSettings;
  /** Stops the server and flushes the store; resolves when it is closed. */
  close(): Promise<void>;
}

/**
 * Start a local Opsmeter-compatible ingest server (docs/emulate.md) on 127.0.0.1 unless
 * `host` says otherwise. Rejects with the listen error (e.g. code EADDRINUSE) when the port is
 * taken, and with code ELOCKED when another emulator uses the `store`.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const [{ startEmulator: start }, { DEFAULT_EMULATOR_KEY }] = await Promise.all([import('../emulator/server.js'), import('../emulator/constants.js')]);
  const { catalog, config, rules, ...rest } = options;
  if (config !== undefined && !isLoadedConfig(config)) throw new TypeError('startEmulator: config must be what loadConfig() returned');
  const apiKey = options.apiKey ?? DEFAULT_EMULATOR_KEY;
  const settings = rulesFor(config, rules);
  const emulator = await start({ ...rest, apiKey, port: options.port ?? 0, catalog: catalogFor(catalog ?? configCatalog(config)), ...(settings ? { rules: settings } : {}) });
  return {
    url: emulator.url,
    port: emulator.port,
    apiKey,
    seed: emulator.seed,
    rows: () => emulator.rows(),
    stats: () => emulator.stats(),
    requests: (since) => emulator.requests(since),
    reset: () => emulator.reset(),
    setFaults: (patch) => emulator.setFaults(patch),
    faults: () => emulator.faults(),
    close: () => emulator.close(),
  };
}

export interface LoadConfigOptions {
  /** Where a relative path starts and where the search begins; default process.cwd(). */
  cwd?: string;
}

/**
 * The path of the opsmeter.config.json that applies in `cwd` (default process.cwd()): the
 * one there or in the nearest parent, stopping at the git root; undefined when there is none.
 */
export function findConfig(cwd: string = process.cwd()): string | undefined {
  return findConfigFile(cwd);
}

/**
 * Reads and checks an opsmeter.config.json: the file at `path` (relative to `options.cwd`),
 * or without a path the one findConfig finds (undefined when there is none). The result is
 * frozen; pass it as `config` to lintPayload or validateFiles. A config that cannot be read
 * or is not valid rejects with a ConfigFileError (an OpsmeterError, exitCode 2) whose message
 * names the file, the line and what is wrong, and whose hint says what to do.
 */
export function loadConfig(path: string, options?: LoadConfigOptions): Promise<OpsmeterConfig>;
export function loadConfig(path?: undefined, options?: LoadConfigOptions): Promise<OpsmeterConfig | undefined>;
export async function loadConfig(path?: string, options: LoadConfigOptions = {}): Promise<OpsmeterConfig | undefined> {
  if (path !== undefined && (typeof path !== 'string' || path === '')) throw new TypeError('loadConfig: path must be a non-empty string (or omitted, to look for the config)');
  const config = await configFor(path, resolve(options.cwd ?? '.'));
  if (config) loadedConfigs.add(config);
  return config;
}

/** Configs loadConfig returned, so a hand-made object is told apart (its paths would not be resolved). */
const loadedConfigs = new WeakSet<object>();
const isLoadedConfig = (c: unknown): c is OpsmeterConfig => typeof c === 'object' && c !== null && loadedConfigs.has(c);

/**
 * OPSMETER_CATALOG, the one environment variable the API reads. The API is an entry point
 * like the CLI (nothing in src/ imports it), and its default catalog is the CLI's, so a unit
 * test's lintPayload and CI's `opsmeter validate` judge alike (docs/api.md, "Environment").
 */
function environmentCatalog(): string | undefined {
  return process.env.OPSMETER_CATALOG || undefined;
}

/** A config's catalog, unless OPSMETER_CATALOG is set: as in the CLI, the environment beats the file. */
function configCatalog(config: OpsmeterConfig | undefined): string | undefined {
  return environmentCatalog() ?? config?.catalog;
}

/** Merged rule settings, one object per (config, rules) pair so they are compiled once. */
const mergedRules = new WeakMap<object, WeakMap<object, RuleSettings>>();
function rulesFor(config: OpsmeterConfig | undefined, rules: RuleSettings | undefined): RuleSettings | undefined {
  if (config === undefined || rules === undefined) return mergeRules(config, rules);
  let byRules = mergedRules.get(config);
  if (!byRules) mergedRules.set(config, (byRules = new WeakMap()));
  let merged = byRules.get(rules);
  if (!merged) byRules.set(rules, (merged = Object.freeze(mergeRules(config, rules)!)));
  return merged;
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
  const file = option ?? environmentCatalog();
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
