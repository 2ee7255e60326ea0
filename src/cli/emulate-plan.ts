/**
 * The plan of `opsmeter emulate`: where to listen, the key and token it takes (and how the
 * banner names them: a key or token from a flag or the environment is never printed), the
 * store and the fault knobs; with a command (`emulate -- CMD ARGS…`), the command, the report
 * and what makes it fail. Pure (see plan.ts); the values were range-checked as commander
 * parsed them (emulate.ts). Two steps need I/O and are the action's: whether a `*.localhost`
 * host is this machine (a lookup, before it warns that other machines may reach the server),
 * and the rule settings (opsmeter.config.json, --config, --rule).
 */
import { DEFAULT_EMULATOR_KEY, DEFAULT_EMULATOR_PORT, DEFAULT_EMULATOR_TOKEN, type BudgetMode, type RetryAfterMode } from '../emulator/constants.js';
import { EXIT, OpsmeterError } from '../errors.js';
import type { ReportFormat } from '../report/index.js';
import type { ConfigFlags } from './config-options.js';
import { planOrError, type CommandLine, type PlanEnv } from './plan.js';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** `opsmeter emulate`'s flags as commander parses them. */
export interface EmulateFlags extends ConfigFlags {
  host: string;
  /** Undefined: 8787, or a free port when a command is given. */
  port?: number;
  apiKey?: string;
  bearerToken?: string;
  store?: string;
  planLimit?: number;
  planTier: string;
  budgetUsd?: number;
  budgetMode: BudgetMode;
  rateLimit?: number;
  failRate?: number;
  latency?: number;
  seed?: number;
  retryAfter: RetryAfterMode;
  catalog?: string;
  verbose?: boolean;
  logFormat?: LogFormat;
  report?: string;
  format?: ReportFormat;
  strict?: boolean;
  maxWarnings?: number;
}

/** A secret and how the banner names it: the built-in default is shown, anything else only by where it came from. */
export interface Credential {
  value: string;
  shown: string;
}

export interface EmulatePlan {
  host: string;
  port: number;
  /** The X-API-Key clients must send. */
  apiKey: Credential;
  /** The dashboard token the Bearer endpoints take. */
  bearerToken: Credential;
  store?: string;
  faults: {
    planLimit?: number;
    planTier: string;
    budgetUsd?: number;
    budgetMode: BudgetMode;
    rateLimit?: number;
    failRate?: number;
    latencyMs?: number;
    seed?: number;
    retryAfterMode: RetryAfterMode;
  };
  /** --catalog (or OPSMETER_CATALOG), read by the action; undefined: the config's, else the cached or built-in one. */
  catalog?: string;
  /** --verbose: one log line per request, and a line for each admin change. */
  verbose: boolean;
  /** The request log's format when one is printed (--verbose, or --log-format given). */
  log: LogFormat | undefined;
  /** The command to run against the emulator (`emulate -- CMD ARGS…`); undefined: serve until stopped. */
  command?: { file: string; args: string[] };
  /** Where the report goes ("-": stdout) and in which format. */
  report?: { file: string; format: ReportFormat };
  /** What makes the run fail besides an error: --strict, --max-warnings (beats the config's maxWarnings). */
  strict: boolean;
  maxWarnings?: number;
  /** --config / --no-config / --rule, resolved by the action. */
  config: ConfigFlags;
}

/** Where the key comes from, first found: --api-key, then these variables (they keep it out of `ps`), then the default. */
const KEY_VARIABLES = ['OPSMETER_EMULATOR_API_KEY', 'OPSMETER_API_KEY'] as const;
const TOKEN_VARIABLE = 'OPSMETER_EMULATOR_TOKEN';

export function planEmulate(line: CommandLine<EmulateFlags>, env: PlanEnv): EmulatePlan | OpsmeterError {
  return planOrError(() => {
    const { flags, given } = line;
    const [file, ...args] = line.paths;
    const keyVariable = KEY_VARIABLES.find((name) => env.vars[name]);
    const apiKey: Credential =
      flags.apiKey !== undefined
        ? { value: flags.apiKey, shown: '(as given with --api-key)' }
        : keyVariable
          ? { value: env.vars[keyVariable]!, shown: `(from ${keyVariable})` }
          : { value: DEFAULT_EMULATOR_KEY, shown: DEFAULT_EMULATOR_KEY };
    const tokenVariable = env.vars[TOKEN_VARIABLE] ? TOKEN_VARIABLE : undefined;
    const bearerToken: Credential =
      flags.bearerToken !== undefined
        ? { value: flags.bearerToken, shown: '(as given with --bearer-token)' }
        : tokenVariable
          ? { value: env.vars[tokenVariable]!, shown: `(from ${tokenVariable})` }
          : { value: DEFAULT_EMULATOR_TOKEN, shown: DEFAULT_EMULATOR_TOKEN };
    if (/\s/.test(bearerToken.value) || bearerToken.value === '') {
      throw new OpsmeterError(`the Bearer token ${flags.bearerToken !== undefined ? 'given with --bearer-token' : `from ${tokenVariable}`} is empty or contains spaces`, EXIT.usage);
    }
    if (flags.format !== undefined && flags.report === undefined) {
      throw new OpsmeterError('--format is the format of the report: give --report FILE too (or --report - for stdout)', EXIT.usage);
    }
    if (file !== undefined && file.trim() === '') throw new OpsmeterError('the command to run is empty', EXIT.usage, 'opsmeter emulate -- npm test');
    return {
      host: flags.host,
      // A command gets a free port: a fixed one could be taken by another job on the machine.
      port: flags.port ?? (file !== undefined ? 0 : DEFAULT_EMULATOR_PORT),
      apiKey,
      bearerToken,
      store: flags.store,
      faults: {
        planLimit: flags.planLimit,
        planTier: flags.planTier,
        budgetUsd: flags.budgetUsd,
        budgetMode: flags.budgetMode,
        rateLimit: flags.rateLimit,
        failRate: flags.failRate,
        latencyMs: flags.latency,
        seed: flags.seed,
        retryAfterMode: flags.retryAfter,
      },
      catalog: flags.catalog,
      verbose: flags.verbose === true,
      log: flags.verbose || given.has('logFormat') ? (flags.logFormat ?? 'text') : undefined,
      ...(file !== undefined ? { command: { file, args } } : {}),
      ...(flags.report !== undefined ? { report: { file: flags.report, format: flags.format ?? 'pretty' } } : {}),
      strict: flags.strict === true,
      ...(flags.maxWarnings !== undefined ? { maxWarnings: flags.maxWarnings } : {}),
      config: { config: flags.config, rule: flags.rule },
    };
  });
}
