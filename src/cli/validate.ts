/** `opsmeter validate [paths...]` — flags in, core call, renderer out, exit code from the result. */
import { Option, type Command } from 'commander';
import type { ReportFormat } from '../report/index.js';
import { VERSION } from '../version.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { paint, paintFor, useColor, writeOutput } from './output.js';
import { catalogOption, describeCatalog, intArg, loadCatalog, stdinHasData, stdinIsPiped } from './shared.js';

interface ValidateFlags {
  format: string;
  output?: string;
  strict?: boolean;
  maxErrors: number;
  bail?: boolean;
  allowEmpty?: boolean;
  stdinFilename?: string;
  catalog?: string;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('lint payload files (JSON, JSON arrays, JSONL, stdin) against the ingest contract')
    .argument('[paths...]', 'files, directories, globs, or - for stdin')
    .addOption(new Option('-f, --format <format>', 'report format').choices(['pretty', 'json', 'github', 'sarif', 'junit']).default('pretty'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--strict', 'fail on warnings too')
    .option('--max-errors <n>', 'print at most n problems (counts stay exact)', intArg('--max-errors', 0), 1000)
    .option('--bail', 'stop at the first error')
    .option('--allow-empty', 'exit 0 when no payload files are found')
    .option('--stdin-filename <name>', 'name stdin in reports (its extension picks JSON or JSONL)')
    .addOption(catalogOption())
    .addHelpText(
      'after',
      '\nExit codes: 0 clean (warnings allowed), 1 invalid (or warnings with --strict), 2 usage or IO error.\nExamples:\n  opsmeter validate payloads/\n  opsmeter validate --format github "events/**/*.jsonl"\n  cat event.json | opsmeter validate --stdin-filename event.json',
    )
    .action(async (paths: string[], flags: ValidateFlags) => {
      process.exitCode = await runValidate(paths, flags);
    });
}

async function runValidate(paths: string[], flags: ValidateFlags): Promise<number> {
  const format = flags.format as ReportFormat;
  const [{ expandPaths, noPayloadFiles }, { validateSources, validateExitCode }, render] = await Promise.all([
    import('../read/paths.js'),
    import('../validate/validate.js'),
    import('../report/index.js').then((m) => m.loadRenderer(format)),
  ]);
  const catalog = loadCatalog(flags.catalog);
  if (paths.length === 0) {
    // An empty piped stdin (CI runners give no stdin) is "no input", not an empty file.
    if (await stdinHasData()) paths = ['-'];
    else if (!flags.allowEmpty) {
      throw new OpsmeterError(
        `no input: give payload files, directories or globs, or pipe payloads on stdin${stdinIsPiped() ? ' (stdin is empty)' : ''}`,
        EXIT.usage,
        'opsmeter validate payloads/   or   cat event.json | opsmeter validate   (--allow-empty makes this exit 0)',
      );
    }
  }
  const expanded = await expandPaths(paths, { stdinName: flags.stdinFilename });
  if (expanded.emptyMatches.length > 0 && !flags.allowEmpty) {
    throw noPayloadFiles(expanded.emptyMatches, 'check the path or quote the glob; --allow-empty makes this exit 0');
  }
  // With --allow-empty and nothing to check, still write a (empty) report: CI steps that
  // upload the SARIF or JUnit file expect one.

  const result = await validateSources(expanded.sources, { catalog, bail: flags.bail, maxProblems: flags.maxErrors });
  const toFile = flags.output !== undefined && flags.output !== '-';
  const ctx = {
    paint: paint(format === 'pretty' && !toFile && useColor(process.stdout)),
    strict: flags.strict === true,
    version: VERSION,
    catalog: describeCatalog(catalog),
  };
  await writeOutput(render(result, ctx), flags.output);
  if (toFile) {
    // The report went to a file: still tell the human on stderr how it went.
    const { summaryLines } = await import('../report/validate-summary.js');
    process.stderr.write(summaryLines(result, { ...ctx, paint: paintFor(process.stderr) }).join('\n') + `\n  report written to ${flags.output}\n`);
  }
  return validateExitCode(result, ctx.strict);
}
