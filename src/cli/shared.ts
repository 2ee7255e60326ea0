/**
 * Flags and helpers more than one command uses, defined once.
 */
import { availableParallelism } from 'node:os';
import { Option } from 'commander';
import { EXIT, OpsmeterError } from '../errors.js';
import type { ThreadPlan } from '../read/idle-cores.js';

// The catalog resolution is shared with the programmatic API (src/api/), so it lives below cli/.
export { catalogCachePath, describeCatalog, loadCatalog } from '../contract/catalog-file.js';

/**
 * `--format pretty|json`, as validate, send and smoke take it, with the older `--json` kept
 * as an alias: a command reads `jsonFormat(flags)`.
 */
export const formatOption = (what: string) => new Option('-f, --format <format>', what).choices(['pretty', 'json']).default('pretty');
export const jsonAliasOption = () => new Option('--json', 'same as --format json');
export const jsonFormat = (flags: { format?: string; json?: boolean }) => flags.json === true || flags.format === 'json';

/**
 * A hidden `--api-key`: a key given as a flag value lands in shell history and in every
 * process listing, so there is no such flag. Taking it only to refuse it gives a reason
 * instead of commander's "unknown option", and the value is never repeated.
 */
export const refuseApiKeyOption = () =>
  new Option('--api-key <key>').hideHelp().argParser(() => {
    throw new OpsmeterError(
      'there is no --api-key flag: a key on the command line ends up in shell history and process listings',
      EXIT.usage,
      'set OPSMETER_API_KEY, or put the key in a file and pass --api-key-file FILE',
    );
  });

export const catalogOption = () =>
  new Option('--catalog <file>', 'catalog JSON to use instead of the cached or built-in snapshot').env('OPSMETER_CATALOG');

/** Parse a positive integer flag value, with a usage error naming the flag. */
export function intArg(flag: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new OpsmeterError(`${flag} takes a whole number ≥ ${min}, got "${value}"`, EXIT.usage);
    return n;
  };
}

/** Stdin is piped (not a terminal) — used to read stdin when no paths are given. */
export function stdinIsPiped(): boolean {
  return !process.stdin.isTTY;
}

/**
 * Stdin is piped AND delivers at least one byte. CI runners hand a process a non-TTY stdin
 * that is empty (/dev/null, a closed pipe): that means "no input was given", not "an empty
 * payload file". The peeked bytes are pushed back, so a later reader sees all of stdin.
 */
export async function stdinHasData(): Promise<boolean> {
  if (!stdinIsPiped()) return false;
  const stdin = process.stdin;
  return new Promise<boolean>((resolve) => {
    const done = (has: boolean) => {
      stdin.off('readable', onReadable);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      resolve(has);
    };
    const onReadable = () => {
      const chunk: Buffer | null = stdin.read();
      if (chunk === null) return; // ended: 'end' follows
      stdin.unshift(chunk);
      done(true);
    };
    const onEnd = () => done(false);
    stdin.on('readable', onReadable);
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
  });
}

/**
 * The API target and key from --base-url/--api-key-file/--allow-insecure and the
 * environment, with configuration problems as usage errors (exit 2). `requireKey` makes a
 * missing key an error that says how to give one.
 */
export async function targetFromFlags(
  flags: { baseUrl?: string; apiKeyFile?: string; allowInsecure?: boolean },
  requireKey: boolean,
): Promise<{ target: import('../ingest/config.js').Target; key?: string }> {
  const config = await import('../ingest/config.js');
  const target = await config.resolveTargetChecked(flags, process.env);
  const key = config.resolveApiKey(flags, process.env)?.key;
  if (requireKey && key === undefined) {
    throw new OpsmeterError(`no API key for ${config.describeTarget(target)}`, EXIT.usage, config.API_KEY_HINT);
  }
  return key === undefined ? { target } : { target, key };
}

/** Large JSONL files go to worker threads from this size (decompressed) on: smaller ones finish before threads would start. */
const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;

/**
 * Worker threads for large JSONL files (docs/import.md "Performance", docs/validate.md
 * "Speed on a large JSONL file"): two, where two cores are there to run them and are idle
 * when the run meets its first large file (read/idle-cores.ts: on busy cores the threads
 * made the run slower than one thread). For
 * maintainers and tests, the command's variable (OPSMETER_IMPORT_WORKERS,
 * OPSMETER_VALIDATE_WORKERS) set to `off` keeps everything on the main thread, and to N
 * (1–8) uses N threads for such files of any size.
 */
export function parallelPlan(
  variable: string,
  vars: Readonly<Record<string, string | undefined>> = process.env,
  cores = availableParallelism(),
): ThreadPlan | undefined {
  const setting = vars[variable];
  if (setting === undefined || setting === '') {
    if (cores < 2) return undefined;
    // By default they start only where the cores are idle at the first large file (read/idle-cores.ts);
    // OPSMETER_IDLE_CORES stands in for the sample, for tests and measurements.
    const idle = vars.OPSMETER_IDLE_CORES;
    if (idle === undefined || idle === '') return { threads: 2, minBytes: PARALLEL_MIN_BYTES, whenIdle: true };
    if (!/^\d+(\.\d+)?$/.test(idle)) throw new OpsmeterError(`OPSMETER_IDLE_CORES must be a number of cores (e.g. 1.5), got ${JSON.stringify(idle)}`, EXIT.usage);
    return { threads: 2, minBytes: PARALLEL_MIN_BYTES, whenIdle: true, idleCores: Number(idle) };
  }
  if (setting === 'off') return undefined;
  if (/^[1-8]$/.test(setting)) return { threads: Number(setting), minBytes: 0 };
  throw new OpsmeterError(`${variable} must be off or a number of threads from 1 to 8, got ${JSON.stringify(setting)}`, EXIT.usage);
}

/**
 * A bound that maintainers and tests set through a variable (OPSMETER_IMPORT_INDEX_ENTRIES,
 * OPSMETER_DUPLICATE_INDEX_ENTRIES, OPSMETER_PROBLEMS_IN_MEMORY: what an index or a problem
 * list keeps in memory, set tiny to test its spilling):
 * a positive whole number, or unset. Anything else is a usage error, so that a mistyped
 * value is not silently ignored.
 */
export function countFromEnv(variable: string, vars: Readonly<Record<string, string | undefined>> = process.env): number | undefined {
  const setting = vars[variable];
  if (setting === undefined || setting === '') return undefined;
  if (/^[1-9]\d{0,9}$/.test(setting)) return Number(setting);
  throw new OpsmeterError(`${variable} must be a positive whole number, got ${JSON.stringify(setting)}`, EXIT.usage);
}
