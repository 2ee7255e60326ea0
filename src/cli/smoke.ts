/** `opsmeter smoke` — the end-to-end checklist (src/smoke/checks.ts), printed as ✔/✖. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { EXIT, OpsmeterError } from '../errors.js';
import { paint, useColor, writeOutput } from './output.js';
import { catalogOption, intArg, loadCatalog, refuseApiKeyOption, targetFromFlags } from './shared.js';

interface SmokeFlags {
  baseUrl?: string;
  apiKeyFile?: string;
  tokenFile?: string;
  allowInsecure?: boolean;
  timeout: number;
  format: 'pretty' | 'json';
  catalog?: string;
  seed?: string;
}

/** The package root: fixtures ship with the tool and are found next to dist/. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function defineCommand(cmd: Command): void {
  cmd
    .option('--base-url <url>', 'run against this API instead of the embedded emulator (sends only test events)')
    .option('--api-key-file <file>', 'file holding the API key (else OPSMETER_API_KEY); only with --base-url')
    .option('--token-file <file>', "file holding a dashboard user's token (else OPSMETER_TOKEN): smoke then deletes the test rows it sent; only with --base-url")
    .option('--allow-insecure', 'allow plain http:// to a non-loopback host')
    .addOption(refuseApiKeyOption())
    .option('--timeout <ms>', 'per-request timeout', intArg('--timeout', 1), 5000)
    .addOption(new Option('--format <format>', 'checklist format').choices(['pretty', 'json']).default('pretty'))
    .option('--seed <seed>', 'seed for the generated test events (default: random, shown in the output)')
    .addOption(catalogOption())
    .addHelpText(
      'after',
      '\nExit codes: 0 every check passed, 1 a check failed, 2 usage error.\nExamples:\n  npx opsmeter smoke\n  OPSMETER_API_KEY=… opsmeter smoke --base-url https://api.opsmeter.io\n  OPSMETER_API_KEY=… OPSMETER_TOKEN=… opsmeter smoke --base-url https://api.opsmeter.io   # and delete its test rows',
    )
    .action(async (flags: SmokeFlags) => {
      process.exitCode = await runSmokeCommand(flags);
    });
}

async function runSmokeCommand(flags: SmokeFlags): Promise<number> {
  const catalog = loadCatalog(flags.catalog);
  if (flags.baseUrl === undefined && flags.apiKeyFile !== undefined) {
    throw new OpsmeterError('--api-key-file goes with --base-url (the embedded emulator needs no key)', EXIT.usage);
  }
  if (flags.baseUrl === undefined && flags.tokenFile !== undefined) {
    throw new OpsmeterError('--token-file goes with --base-url (the embedded emulator has its own token)', EXIT.usage);
  }
  let remote;
  if (flags.baseUrl !== undefined) {
    const { target, key } = await targetFromFlags(flags, true);
    const { resolveToken } = await import('../ingest/config.js');
    const token = resolveToken(flags, process.env)?.token;
    remote = token === undefined ? { target, apiKey: key! } : { target, apiKey: key!, token };
  }
  const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 32).toString(16);
  const c = paint(flags.format === 'pretty' && useColor(process.stdout));
  const live = flags.format === 'pretty';
  if (live) process.stdout.write(c.bold(`opsmeter smoke — ${remote ? remote.target.baseUrl.href : 'embedded emulator on 127.0.0.1'} (seed ${seed})`) + '\n');

  const { runSmoke } = await import('../smoke/checks.js');
  const report = await runSmoke({
    remote,
    catalog,
    root: ROOT,
    timeoutMs: flags.timeout,
    seed,
    onCheck: live
      ? (r) => {
          const mark = r.status === 'pass' ? c.green('✔') : r.status === 'fail' ? c.red('✖') : c.gray('–');
          process.stdout.write(`${mark} ${r.name}${c.gray(` — ${r.detail}`)}\n`);
        }
      : undefined,
  });
  const failed = report.checks.filter((r) => r.status === 'fail').length;
  const passed = report.checks.filter((r) => r.status === 'pass').length;
  const skipped = report.checks.length - failed - passed;
  if (flags.format === 'json') {
    await writeOutput(JSON.stringify({ target: report.target, embedded: report.embedded, seed, passed, failed, skipped, checks: report.checks }, null, 2) + '\n', undefined);
  } else {
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(failed === 0 ? c.green(`\nall ${passed} checks passed${tail}\n`) : c.red(`\n${failed} of ${report.checks.length} checks failed${tail}\n`));
  }
  return failed === 0 ? 0 : 1;
}
