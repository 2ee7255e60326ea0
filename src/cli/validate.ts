/** `opsmeter validate [paths...]` — flags in, core call, renderer out, exit code from the result. */
import { Option, type Command } from 'commander';
import type { ReportFormat } from '../report/index.js';
import { gitWorkTree } from '../work-tree.js';
import { VERSION } from '../version.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { addConfigOptions, resolveSettings, type ConfigFlags } from './config-options.js';
import { paint, paintFor, useColor, writeOutput } from './output.js';
import { catalogOption, countFromEnv, describeCatalog, intArg, loadCatalog, parallelPlan, stdinHasData, stdinIsPiped } from './shared.js';

/** pretty's problems of one rule printed in full before the rest are counted on one line. */
const GROUP_AFTER = 3;

/** Repeatable flags collect their values. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Formats read by people (and GitHub's log) are capped by default; machine formats keep every problem. */
const DEFAULT_MAX_ERRORS = 1000;
const CAPPED_BY_DEFAULT: ReadonlySet<string> = new Set(['pretty', 'github']);

interface ValidateFlags extends ConfigFlags {
  format: string;
  output?: string;
  strict?: boolean;
  maxErrors?: number;
  maxWarnings?: number;
  quiet?: boolean;
  bail?: boolean;
  allowEmpty?: boolean;
  stdinFilename?: string;
  catalog?: string;
  ignorePattern?: string[];
}

export function defineCommand(cmd: Command): void {
  cmd
    .argument('[paths...]', 'files, directories, globs, or - for stdin')
    .addOption(new Option('-f, --format <format>', 'report format').choices(['pretty', 'json', 'github', 'sarif', 'junit']).default('pretty'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--strict', 'fail on warnings too')
    .option('--max-warnings <n>', 'fail (exit 1) when there are more than n warnings', intArg('--max-warnings', 0))
    .option('--quiet', 'report errors only; warnings are not checked, unless --max-warnings or --strict needs their count (then they are counted, not listed)')
    .option('--max-errors <n>', `print at most n problems, errors first (counts stay exact; default ${DEFAULT_MAX_ERRORS} for pretty and github, no cap for json, sarif and junit); given, pretty lists every problem instead of counting a rule's repeats past ${GROUP_AFTER}`, intArg('--max-errors', 0))
    .option('--bail', 'stop at the first error')
    .option('--allow-empty', 'exit 0 when no payload files are found, or stdin is empty')
    .option('--stdin-filename <name>', 'name stdin in reports (its extension picks JSON or JSONL)')
    .option('--ignore-pattern <glob>', 'skip files this glob matches, relative to the current folder (repeatable; a glob matching a folder skips it all)', collect)
    .addOption(catalogOption());
  addConfigOptions(cmd)
    .addHelpText(
      'after',
      '\nDirectories and globs skip what .gitignore ignores, node_modules, dot folders and well-known non-payload JSON (package.json, tsconfig*.json, lock files); a file named here is always read.\nConfiguration: opsmeter.config.json (comments allowed) in this folder or the nearest parent (up to the git root): rules (off, warn, error or 0, 1, 2), catalog, ignore, maxWarnings.\nExit codes: 0 clean (warnings allowed), 1 invalid (or warnings with --strict, or more than --max-warnings), 2 usage, config or IO error.\nExamples:\n  opsmeter validate payloads/\n  opsmeter validate --format github "events/**/*.jsonl"\n  opsmeter validate --strict --rule payload/missing-latency=off imported.jsonl\n  cat event.json | opsmeter validate --stdin-filename event.json',
    )
    .action(async (paths: string[], flags: ValidateFlags) => {
      process.exitCode = await runValidate(paths, flags);
    });
}

/**
 * Where the CI formats name files from: the git work tree the run is in, else the GitHub
 * Actions workspace, else nowhere (paths as given). So a monorepo step with a
 * `working-directory` still annotates `packages/app/payloads/x.jsonl`, not `payloads/x.jsonl`.
 */
function reportRoot(): { dir: string; cwd: string } | undefined {
  const cwd = process.cwd();
  const dir = gitWorkTree(cwd) ?? (process.env.GITHUB_WORKSPACE || undefined);
  return dir === undefined ? undefined : { dir, cwd };
}

async function runValidate(paths: string[], flags: ValidateFlags): Promise<number> {
  const format = flags.format as ReportFormat;
  const [{ expandPaths, noPayloadFiles }, { validateSourcesStreamed, validateExitCode, quietCountsWarnings }, render] = await Promise.all([
    import('../read/paths.js'),
    import('../validate/validate.js'),
    import('../report/index.js').then((m) => m.loadRenderer(format)),
  ]);
  const settings = await resolveSettings(flags);
  const catalog = loadCatalog(flags.catalog ?? settings.catalog);
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
  } else if (paths.includes('-') && stdinIsPiped() && !(await stdinHasData())) {
    // `import … | validate -` where the import failed: not one byte came down the pipe.
    // Passing on that (an "empty file" warning, exit 0) would hide the failure, so it is "no
    // input", as in send. Blank lines or `[]` are still an empty file (file/empty).
    if (!flags.allowEmpty) {
      throw new OpsmeterError(
        'no input: stdin (-) is empty',
        EXIT.usage,
        'did the command before the pipe fail? Run the pipe under `set -o pipefail` to see its exit code (--allow-empty makes this exit 0)',
      );
    }
    paths = paths.filter((p) => p !== '-');
  }
  const expanded = await expandPaths(paths, { stdinName: flags.stdinFilename });
  if (expanded.emptyMatches.length > 0 && !flags.allowEmpty) {
    throw noPayloadFiles(expanded.emptyMatches, 'check the path or quote the glob; --allow-empty makes this exit 0');
  }
  // With --allow-empty and nothing to check, still write a (empty) report: CI steps that
  // upload the SARIF or JUnit file expect one.
  const { kept, ignored, byPattern, byConfig } = await settings.filter(expanded.sources);
  if (ignored > 0) {
    const why = [byPattern > 0 ? '--ignore-pattern' : '', byConfig > 0 ? `the ignore globs of ${settings.config!.path}` : ''].filter(Boolean).join(' and ');
    process.stderr.write(`opsmeter: ${ignored} file${ignored === 1 ? '' : 's'} skipped by ${why}\n`);
  }

  const maxWarnings = flags.maxWarnings ?? settings.maxWarnings;
  const strict = flags.strict === true;
  const result = await validateSourcesStreamed(kept, {
    catalog,
    bail: flags.bail,
    maxProblems: flags.maxErrors ?? (CAPPED_BY_DEFAULT.has(format) ? DEFAULT_MAX_ERRORS : Infinity),
    quiet: flags.quiet === true,
    countQuietWarnings: quietCountsWarnings({ strict, maxWarnings }),
    excerpts: format === 'pretty',
    rules: settings.rules,
    parallel: parallelPlan('OPSMETER_VALIDATE_WORKERS'),
    // The memory bounds the tests of the built CLI set low to force spilling (docs/validate.md "Memory").
    problemsInMemory: countFromEnv('OPSMETER_PROBLEMS_IN_MEMORY'),
    duplicateIndexEntries: countFromEnv('OPSMETER_DUPLICATE_INDEX_ENTRIES'),
  });
  const toFile = flags.output !== undefined && flags.output !== '-';
  const ctx = {
    paint: paint(format === 'pretty' && !toFile && useColor(process.stdout)),
    strict,
    maxWarnings,
    ruleSettings: settings.rules?.overrides,
    width: !toFile && process.stdout.isTTY ? process.stdout.columns : undefined,
    version: VERSION,
    catalog: describeCatalog(catalog),
    root: reportRoot(),
    // pretty prints a rule's first few problems and counts the rest, unless --max-errors asks for a list.
    groupAfter: format === 'pretty' && flags.maxErrors === undefined ? GROUP_AFTER : undefined,
  };
  try {
    await writeOutput(render(result, ctx), flags.output);
  } finally {
    result.close(); // the problems' temp files, if any
  }
  if (toFile) {
    // The report went to a file: still tell the human on stderr how it went.
    const { summaryLines } = await import('../report/validate-summary.js');
    process.stderr.write(summaryLines(result, { ...ctx, paint: paintFor(process.stderr), groupAfter: undefined }).join('\n') + `\n  report written to ${flags.output}\n`);
  }
  return validateExitCode(result, { strict: ctx.strict, maxWarnings });
}
