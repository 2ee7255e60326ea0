/**
 * The flags of a send (target, key, safety, pacing, journal, output), defined once for
 * `opsmeter send` and `import --send`. Flags only: `import` loads this, not the send command.
 */
import { Option, type Command } from 'commander';
import { EXIT, OpsmeterError } from '../errors.js';
import { catalogOption, intArg, refuseApiKeyOption } from './shared.js';

/** The send flags as commander parses them; planSession (send-plan.ts) checks them. */
export interface SendFlags {
  baseUrl?: string;
  apiKeyFile?: string;
  allowReal?: boolean;
  allowInsecure?: boolean;
  useDemoEndpoint?: boolean;
  concurrency: number;
  rate?: number;
  timeout: number;
  maxRetries: number;
  /** Seconds without an answer of the API's after which the sender gives up on the server. */
  giveUpAfter: number;
  dryRun?: boolean;
  journal?: string;
  verbose?: boolean;
  format: 'pretty' | 'json';
}

function rateArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new OpsmeterError(`--rate takes a number of requests per second ≥ 0 (0 = no cap), got "${value}"`, EXIT.usage);
  return n;
}

function secondsArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new OpsmeterError(`--give-up-after takes a number of seconds > 0, got "${value}"`, EXIT.usage);
  return n;
}

export function addSendOptions(cmd: Command): Command {
  return cmd
    .option('--base-url <url>', 'API base URL (default: OPSMETER_API_BASE_URL, else https://api.opsmeter.io)')
    .option('--api-key-file <file>', 'read the API key from this file (otherwise OPSMETER_API_KEY)')
    .addOption(refuseApiKeyOption())
    .option('--use-demo-endpoint', 'post to /v1/ingest/demo instead of /v1/ingest/llm-request')
    .option('--allow-real', 'also send events whose dataMode is "real" (or absent)')
    .option('--allow-insecure', 'allow plain http:// to a host that is not this machine')
    .option('--concurrency <n>', 'requests in flight at once', intArg('--concurrency', 1), 8)
    .option('--rate <r>', 'max requests per second (default: no cap on loopback, 20 otherwise; 0 = no cap)', rateArg)
    .option('--timeout <ms>', 'deadline of each request in ms: connect, headers and the whole body', intArg('--timeout', 1), 5000)
    .option('--max-retries <n>', 'retries of an event after a 429, 5xx, timeout, broken connection or an answer that is not the API\'s', intArg('--max-retries', 0), 3)
    .option('--give-up-after <seconds>', 'stop when the server has given no answer of the API\'s for this long while requests fail (a restart shorter than this costs no event)', secondsArg, 20)
    .option('--dry-run', 'validate and print what would be sent (JSONL on stdout); send nothing')
    .option('--journal <file>', 'append each final outcome as JSONL; a re-run skips events already accepted')
    .option('-v, --verbose', 'dump every request and response on stderr (X-API-Key: ***)')
    .addOption(new Option('-f, --format <format>', 'summary format (json goes to stdout)').choices(['pretty', 'json']).default('pretty'))
    .addOption(catalogOption());
}
