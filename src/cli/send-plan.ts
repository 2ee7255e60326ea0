/**
 * The plans of a send: `planSession` checks the send flags `opsmeter send` and `import --send`
 * share (the target and the key), and `planSend` the rest of `opsmeter send`'s (generated
 * events or files). Pure: see plan.ts. The two checks that need I/O are openTarget's
 * (send-session.ts), when the send starts: a `*.localhost` name is looked up (it passes here
 * as this machine) and an --api-key-file is read (here its presence suffices).
 */
import type { ConfigFlags } from './config-options.js';
import type { SendFlags } from './send-options.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { API_KEY_HINT, localhostName, resolveApiKey, resolveTarget, type TargetFlags } from '../ingest/config.js';
import { planOrError, type CommandLine, type PlanEnv } from './plan.js';

/** What runSendSession runs. */
export interface SessionPlan {
  /** Where to send: a URL that is https, or loopback, or allowed with --allow-insecure; the key file, if any. */
  target: TargetFlags;
  /** Post to /v1/ingest/demo instead of /v1/ingest/llm-request. */
  useDemoEndpoint: boolean;
  /** Validate and print what would be sent; send nothing and need no key. */
  dryRun: boolean;
  /** Send events whose dataMode is real (or absent). */
  allowReal: boolean;
  concurrency: number;
  /** Requests per second; undefined: the target's default (no cap on loopback, else 20). */
  rate?: number;
  timeout: number;
  maxRetries: number;
  /** Time without an answer of the API's after which the sender gives up on the server (ms). */
  giveUpAfterMs: number;
  journal?: string;
  verbose: boolean;
  format: 'pretty' | 'json';
}

/** The send flags checked, as far as that needs no I/O: the target's URL, and that a key is given unless it is a dry run. */
export function planSession(flags: SendFlags, env: PlanEnv): SessionPlan {
  const target: TargetFlags = { baseUrl: flags.baseUrl, apiKeyFile: flags.apiKeyFile, allowInsecure: flags.allowInsecure };
  resolveTarget(target, env.vars, localhostName(target, env.vars) !== undefined);
  // An --api-key-file is read when the send starts; a key in the environment is checked now.
  if (!flags.dryRun && flags.apiKeyFile === undefined && resolveApiKey({}, env.vars) === undefined) {
    throw new OpsmeterError('no API key', EXIT.usage, API_KEY_HINT);
  }
  return {
    target,
    useDemoEndpoint: flags.useDemoEndpoint === true,
    dryRun: flags.dryRun === true,
    allowReal: flags.allowReal === true,
    concurrency: flags.concurrency,
    rate: flags.rate,
    timeout: flags.timeout,
    maxRetries: flags.maxRetries,
    giveUpAfterMs: Math.round(flags.giveUpAfter * 1000),
    journal: flags.journal,
    verbose: flags.verbose === true,
    format: flags.format,
  };
}

/** `opsmeter send`'s flags as commander parses them. */
export interface SendCommandFlags extends SendFlags, ConfigFlags {
  test?: boolean;
  demo?: boolean;
  count: number;
  environment?: string;
  seed?: string;
  catalog?: string;
}

/** Generated test or demo events (the action picks a random seed when none is given). */
export interface GeneratedInput {
  generate: 'test' | 'demo';
  count: number;
  environment?: 'staging' | 'dev';
  seed?: string;
}

export interface SendPlan {
  /** Generated events, or payload files and globs; no paths: stdin, once it holds something (the action peeks). */
  input: GeneratedInput | { paths: string[] };
  session: SessionPlan;
  /** opsmeter.config.json and --rule, read by the action; --catalog (or OPSMETER_CATALOG) beats the config's catalog. */
  config: ConfigFlags;
  catalog?: string;
}

const GENERATED_ONLY = ['count', 'environment', 'seed'] as const;

export function planSend(line: CommandLine<SendCommandFlags>, env: PlanEnv): SendPlan | OpsmeterError {
  return planOrError(() => {
    const { paths, flags, given } = line;
    if (flags.test && flags.demo) throw new OpsmeterError('choose one of --test and --demo', EXIT.usage);
    const generate = flags.test ? 'test' : flags.demo ? 'demo' : undefined;
    if (generate && paths.length > 0) throw new OpsmeterError(`--${generate} generates its events; do not also give files`, EXIT.usage);
    if (!generate) {
      const f = GENERATED_ONLY.find((name) => given.has(name));
      if (f) throw new OpsmeterError(`--${f} applies to generated events (--test or --demo)`, EXIT.usage, 'payloads from files keep their own values');
    }
    const environment = flags.environment;
    if (environment !== undefined && environment !== 'staging' && environment !== 'dev') {
      throw new OpsmeterError(
        `--environment must be staging or dev, got "${environment}"`,
        EXIT.usage,
        environment === 'prod' ? 'test and demo events never go to environment prod; send real payloads from files with --allow-real instead' : undefined,
      );
    }
    const input: SendPlan['input'] = generate ? { generate, count: flags.count, environment, seed: flags.seed } : { paths };
    return { input, session: planSession(flags, env), config: { config: flags.config, rule: flags.rule }, catalog: flags.catalog };
  });
}
