/** `opsmeter status` — the workspace's plan usage and budget posture, for people and CI gates. */
import { Option, type Command } from 'commander';
import { EXIT, OpsmeterError } from '../errors.js';
import { paint, useColor } from './output.js';
import { formatOption, intArg, jsonAliasOption, jsonFormat, refuseApiKeyOption, targetFromFlags } from './shared.js';

interface StatusFlags {
  baseUrl?: string;
  apiKeyFile?: string;
  allowInsecure?: boolean;
  json?: boolean;
  format?: string;
  failOn?: 'warning' | 'critical';
  timeout: number;
  maxRetries: number;
}

export function defineCommand(cmd: Command): void {
  cmd
    .option('--base-url <url>', 'API base URL (default: OPSMETER_API_BASE_URL, else https://api.opsmeter.io)')
    .option('--api-key-file <file>', 'read the API key from this file (otherwise OPSMETER_API_KEY)')
    .option('--allow-insecure', 'allow plain http:// to a host that is not this machine')
    .addOption(refuseApiKeyOption())
    .addOption(formatOption('output format (json: the API response)'))
    .addOption(jsonAliasOption())
    .addOption(new Option('--fail-on <severity>', 'exit 1 when the severity is at least this').choices(['warning', 'critical']))
    .option('--timeout <ms>', 'request timeout in ms', intArg('--timeout', 1), 5000)
    .option('--max-retries <n>', 'retries after a 429, 5xx, timeout or network error', intArg('--max-retries', 0), 2)
    .addHelpText('after', '\nExit codes: 0 normal, 1 warning/critical with --fail-on, 2 usage, 4 auth failed, 5 network or server error.\nExamples:\n  opsmeter status\n  opsmeter status --fail-on critical   # a CI gate\n  opsmeter status --format json')
    .action(async (flags: StatusFlags) => {
      process.exitCode = await runStatus(flags);
    });
}

async function runStatus(flags: StatusFlags): Promise<number> {
  const [config, { createClient }, status, { DEFAULT_POLICY }] = await Promise.all([
    import('../ingest/config.js'),
    import('../ingest/client.js'),
    import('../ingest/status.js'),
    import('../ingest/retry.js'),
  ]);
  const { target, key } = await targetFromFlags(flags, true);
  const client = createClient({ target, apiKey: key, timeoutMs: flags.timeout, connections: 1 });
  let result;
  try {
    result = await status.fetchStatus(client, { ...DEFAULT_POLICY, maxRetries: flags.maxRetries });
  } finally {
    await client.close();
  }
  if (!result.ok) throw new OpsmeterError(config.redactKey(result.message, key), result.exitCode, result.hint);
  const severity = status.severityOf(result.body);
  if (jsonFormat(flags)) process.stdout.write(config.redactKey(JSON.stringify(result.body, null, 2), key) + '\n');
  else process.stdout.write(status.renderStatus(result.body, paint(useColor(process.stdout)), config.describeTarget(target)));
  if (flags.failOn && status.failsOn(severity, flags.failOn)) {
    process.stderr.write(`opsmeter: workspace severity is ${severity} (--fail-on ${flags.failOn})\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
