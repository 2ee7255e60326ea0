/**
 * `opsmeter clean --test-data | --demo-data [--scope mine|workspace]`: the documented
 * cleanup endpoints, with a dashboard user's Bearer token (OPSMETER_TOKEN or --token-file,
 * never a flag value). `--scope workspace` deletes every member's rows, so it asks first on
 * a terminal and needs --yes anywhere else.
 */
import { Option, type Command } from 'commander';
import { EXIT, OpsmeterError } from '../errors.js';
import { formatOption, intArg, jsonAliasOption, jsonFormat } from './shared.js';

interface CleanFlags {
  testData?: boolean;
  demoData?: boolean;
  scope: 'mine' | 'workspace';
  yes?: boolean;
  baseUrl?: string;
  tokenFile?: string;
  allowInsecure?: boolean;
  json?: boolean;
  format?: string;
  timeout: number;
  maxRetries: number;
}

export function defineCommand(cmd: Command): void {
  cmd
    .option('--test-data', 'delete the rows sent with dataMode "test"')
    .option('--demo-data', 'delete the rows sent with dataMode "demo"')
    .addOption(new Option('--scope <scope>', "whose rows: mine (yours) or workspace (every member's; Owner/Admin)").choices(['mine', 'workspace']).default('mine'))
    .option('-y, --yes', 'do not ask before --scope workspace (required when there is no terminal to ask on)')
    .option('--base-url <url>', 'API base URL (default: OPSMETER_API_BASE_URL, else https://api.opsmeter.io)')
    .option('--token-file <file>', "read the dashboard user's token from this file (otherwise OPSMETER_TOKEN)")
    .option('--allow-insecure', 'allow plain http:// to a host that is not this machine')
    .addOption(formatOption('output format (json: the result and the API response)'))
    .addOption(jsonAliasOption())
    .option('--timeout <ms>', 'request timeout in ms', intArg('--timeout', 1), 5000)
    .option('--max-retries <n>', 'retries after a 429, 5xx, timeout or network error', intArg('--max-retries', 0), 2)
    .addHelpText(
      'after',
      `
The token is a signed-in dashboard user's token (Authorization: Bearer), not the workspace
API key; it comes from OPSMETER_TOKEN or --token-file, never from a flag value.
Exit codes: 0 deleted, 2 usage (no token, both or neither of --test-data/--demo-data, not confirmed),
4 token refused (401/403), 5 network error, timeout, 5xx or another HTTP error.
Examples:
  OPSMETER_TOKEN=… opsmeter clean --test-data
  opsmeter clean --demo-data --scope workspace --yes --token-file ~/.opsmeter-token`,
    )
    .action(async (flags: CleanFlags) => {
      process.exitCode = await runClean(flags);
    });
}

async function runClean(flags: CleanFlags): Promise<number> {
  if (Boolean(flags.testData) === Boolean(flags.demoData)) {
    throw new OpsmeterError('say which rows to delete: --test-data or --demo-data (one of them)', EXIT.usage);
  }
  const data = flags.testData ? 'test' : 'demo';
  const [config, { createClient }, { cleanData }, { DEFAULT_POLICY }] = await Promise.all([
    import('../ingest/config.js'),
    import('../ingest/client.js'),
    import('../ingest/clean.js'),
    import('../ingest/retry.js'),
  ]);
  const target = await config.resolveTargetChecked(flags, process.env);
  const token = config.resolveToken(flags, process.env)?.token;
  if (token === undefined) throw new OpsmeterError(`no dashboard token for ${config.describeTarget(target)}`, EXIT.usage, config.TOKEN_HINT);
  if (flags.scope === 'workspace' && !flags.yes) await confirmWorkspace(data, config.describeTarget(target));

  const client = createClient({ target, bearerToken: token, timeoutMs: flags.timeout, connections: 1 });
  let result;
  try {
    result = await cleanData(client, data, flags.scope, { ...DEFAULT_POLICY, maxRetries: flags.maxRetries });
  } finally {
    await client.close();
  }
  if (!result.ok) throw new OpsmeterError(config.redactKey(result.message, token), result.exitCode, result.hint);
  const count = result.deleted === undefined ? 'the API did not say how many' : `${result.deleted} row${result.deleted === 1 ? '' : 's'}`;
  if (jsonFormat(flags)) {
    const out = { ok: true, dataMode: data, scope: flags.scope, url: result.url, status: result.status, deleted: result.deleted ?? null, response: result.body ?? null };
    process.stdout.write(config.redactKey(JSON.stringify(out, null, 2), token) + '\n');
  } else {
    process.stdout.write(`deleted the ${data} rows (scope ${flags.scope}) at ${config.describeTarget(target)}: ${count}\n`);
  }
  return EXIT.ok;
}

/** Ask on the terminal before deleting every member's rows; without a terminal, --yes is needed. */
async function confirmWorkspace(data: string, where: string): Promise<void> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new OpsmeterError(
      `--scope workspace deletes the ${data} rows of every member of the workspace at ${where}; pass --yes to confirm`,
      EXIT.usage,
      'there is no terminal to ask on; --scope mine deletes only your own rows',
    );
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let answer: string;
  try {
    answer = await rl.question(`Delete the ${data} rows of EVERY member of the workspace at ${where}? [y/N] `);
  } finally {
    rl.close();
  }
  if (!/^y(es)?$/i.test(answer.trim())) throw new OpsmeterError('nothing deleted (not confirmed)', EXIT.usage);
}
