/**
 * The plan of `opsmeter emulate`: where to listen, the key and token it takes (and how the
 * banner names them: a key or token from a flag or the environment is never printed), the
 * store and the fault knobs. Pure (see plan.ts); the values were range-checked as commander
 * parsed them (emulate.ts). Whether a `*.localhost` host is this machine needs a lookup: the
 * action does it before it warns that other machines may reach the server.
 */
import { DEFAULT_EMULATOR_KEY, DEFAULT_EMULATOR_TOKEN, type BudgetMode, type RetryAfterMode } from '../emulator/constants.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { planOrError, type PlanEnv } from './plan.js';

/** `opsmeter emulate`'s flags as commander parses them. */
export interface EmulateFlags {
  host: string;
  port: number;
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
  /** --catalog (or OPSMETER_CATALOG), read by the action; undefined: the cached or built-in one. */
  catalog?: string;
  /** One log line per request. */
  verbose: boolean;
}

/** Where the key comes from, first found: --api-key, then these variables (they keep it out of `ps`), then the default. */
const KEY_VARIABLES = ['OPSMETER_EMULATOR_API_KEY', 'OPSMETER_API_KEY'] as const;
const TOKEN_VARIABLE = 'OPSMETER_EMULATOR_TOKEN';

export function planEmulate(flags: EmulateFlags, env: PlanEnv): EmulatePlan | OpsmeterError {
  return planOrError(() => {
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
    return {
      host: flags.host,
      port: flags.port,
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
    };
  });
}
