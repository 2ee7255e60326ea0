/**
 * `opsmeter reconcile <payloads…> --against <report…>`: does what was imported match what the
 * provider says was used? Flags in (reconcile-plan.ts), the reports read, then the payloads,
 * the comparison (src/reconcile/run.ts), the report out, and the exit code from the verdict.
 */
import { Option, type Command } from 'commander';
import { EXIT } from '../errors.js';
import { PLAIN } from '../terminal.js';
import { paintFor, writeOutput } from './output.js';
import { commandLine, orThrow, processEnv } from './plan.js';
import { DEFAULT_TOLERANCE_PCT, planReconcile, type ReconcileFlags, type ReconcilePlan } from './reconcile-plan.js';
import { catalogOption, formatOption, intArg, loadCatalog } from './shared.js';

export function defineCommand(cmd: Command): void {
  cmd
    .argument('[payloads...]', "payload files (JSON, JSON arrays, JSONL, .gz), directories, globs, or - for stdin; or an import's --summary-json")
    .addOption(new Option('--against <reports...>', "the provider's report pages: OpenAI Usage API (completions) or Costs API, Anthropic usage or cost report (JSON, JSONL, .gz)"))
    .addOption(formatOption('output format (json: one document with every row)'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--tolerance <pct>', 'allowed difference per row and measure, in percent of the reported figure', String(DEFAULT_TOLERANCE_PCT))
    .option('--since <date>', 'compare from this UTC day on (YYYY-MM-DD)')
    .option('--until <date>', 'compare up to this UTC day, inclusive (YYYY-MM-DD)')
    .option('--field <dimension=field>', 'read a dimension (project, api-key, workspace) from this payload field or metadata.KEY (repeatable)', (v: string, before: string[] = []) => [...before, v])
    .option('--max-rows <n>', 'rows printed per report in the text report (0: all)', intArg('--max-rows', 0), 50)
    .addOption(catalogOption())
    .addHelpText(
      'after',
      [
        '',
        'The reports are the JSON pages of the providers\' admin APIs, saved as returned: OpenAI',
        '/v1/organization/usage/completions and /v1/organization/costs, Anthropic',
        '/v1/organizations/usage_report/messages and /v1/organizations/cost_report (docs/reconcile.md',
        'shows the curl lines; the admin key stays with curl, opsmeter never reads it).',
        `Exit codes: 0 every row within the tolerance (default ±${DEFAULT_TOLERANCE_PCT}%), 1 a row outside it, 2 usage or input error (or nothing to compare).`,
        'Examples:',
        '  opsmeter reconcile payloads.jsonl --against openai-usage/',
        '  opsmeter reconcile summary.json --against openai-usage/          # an import\'s --summary-json (per day × model)',
        '  opsmeter reconcile payloads.jsonl.gz --against usage-1.json usage-2.json --tolerance 0.5',
        '  opsmeter reconcile payloads.jsonl --against anthropic-usage.json --since 2025-11-01 --until 2025-11-30',
        '  opsmeter import logs/ | opsmeter reconcile - --against costs.json --format json',
      ].join('\n'),
    )
    .action(async function (this: Command, paths: string[], flags: ReconcileFlags) {
      process.exitCode = await runReconcile(orThrow(planReconcile(commandLine(paths, flags, this), processEnv())));
    });
}

async function runReconcile(plan: ReconcilePlan): Promise<number> {
  const [read, { runReconciliation }, { renderText, verdictLine }] = await Promise.all([import('../reconcile/read.js'), import('../reconcile/run.js'), import('../reconcile/render.js')]);
  const catalog = loadCatalog(plan.catalog);
  const { payloads, reports } = await read.expandInputs(plan.payloads, plan.reports);
  // The reports first: their buckets say which payloads each one covers.
  const reported = await read.readReports(reports, plan.range);
  const doc = await runReconciliation(reported, { sources: payloads }, { catalog, fields: plan.fields, range: plan.range, tolerancePct: plan.tolerancePct });
  const paint = plan.output ? PLAIN : paintFor(process.stdout);
  await writeOutput(plan.format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : renderText(doc, paint, plan.maxRows), plan.output);
  // With the report in a file, the verdict still reaches the terminal.
  if (plan.output) process.stderr.write(`opsmeter reconcile: ${verdictLine(doc, PLAIN)} (report in ${plan.output})\n`);
  if (doc.verdict === 'nothing compared') {
    process.stderr.write('opsmeter reconcile: nothing compared: the payloads and the reports share no day with usage (the notes say what was left out)\n');
    return EXIT.usage;
  }
  return doc.verdict === 'within tolerance' ? EXIT.ok : EXIT.failed;
}
