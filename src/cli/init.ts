/**
 * `opsmeter init` — sets a repository up for payload linting: writes opsmeter.config.json (with
 * comments: it is read as JSONC), the config's JSON Schema beside it (for editors), and a sample
 * payload that passes `validate --strict`; then prints the CI step and the pre-commit lines to
 * add, with the payload folder's path from the repository's root (where CI and pre-commit run).
 * It asks two questions on a terminal (the payload folder, the CI system); `--yes` takes the
 * defaults (or `--dir`, `--ci`), and it never overwrites a file without `--force`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Option, type Command } from 'commander';
import { CONFIG_FILE_NAME } from '../tool-files.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { gitWorkTree } from '../work-tree.js';

export const CI_SYSTEMS = ['github', 'gitlab', 'none'] as const;
export type CiSystem = (typeof CI_SYSTEMS)[number];

export interface InitAnswers {
  /** The payload folder, relative to the working directory. */
  dir: string;
  ci: CiSystem;
}

export interface InitPlan {
  /** Files to write: path (absolute) → text. */
  files: { path: string; text: string }[];
  /** What to print on stdout: the CI step and the pre-commit lines. */
  instructions: string;
}

/** The sample: every field the contract checks, clean under --strict (test data, so sending it pollutes nothing). */
export const SAMPLE_PAYLOAD = {
  externalRequestId: 'ext_example_0001',
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptVersion: 'summarizer_v1',
  endpointTag: 'example.summary',
  inputTokens: 120,
  outputTokens: 45,
  totalTokens: 165,
  latencyMs: 820,
  status: 'success',
  dataMode: 'test',
  environment: 'staging',
};

const CONFIG_TEXT = `{
  // opsmeter's settings for this repository: validate, import's lint gate and send's local
  // check read them (README "Configuration"). Comments and trailing commas are fine here.
  // Editors complete and check this file with the JSON Schema beside it.
  "$schema": "./opsmeter.config.schema.json",

  // Severity per rule id: "off", "warn" or "error" (or 0, 1, 2). The ids: opsmeter schema --config.
  "rules": {
    // Imported rows often carry no prompt version or endpoint tag; to accept them:
    // "payload/missing-prompt-version": "off",
    // "payload/missing-endpoint-tag": "off",
  },

  // Globs of files validate skips, relative to this file (.gitignore'd files, package.json,
  // tsconfig.json and lock files are skipped already).
  "ignore": [],

  // More warnings than this fail validate, as --max-warnings does:
  // "maxWarnings": 0,
}
`;

/** The CI system a repository seems to use: GitLab when it has a .gitlab-ci.yml, else GitHub. */
export function detectCi(root: string): CiSystem {
  return existsSync(join(root, '.gitlab-ci.yml')) ? 'gitlab' : 'github';
}

/** Whether the project in `cwd` has opsmeter as a dependency (then CI runs `npx opsmeter`). */
async function isDependency(cwd: string): Promise<boolean> {
  try {
    const pkg = JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    return ['dependencies', 'devDependencies'].some((k) => pkg[k]?.opsmeter !== undefined);
  } catch {
    return false;
  }
}

/** A path from the repository's root with "/" (a folder outside it keeps its absolute path). */
function fromRoot(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel).split(sep).join('/');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The files and the instructions for these answers, in `cwd`. Pure but for reading package.json. */
export async function planInit(answers: InitAnswers, cwd: string, schemaText: string): Promise<InitPlan> {
  const dir = resolve(cwd, answers.dir);
  const root = gitWorkTree(cwd) ?? cwd;
  const payloads = `${fromRoot(root, dir)}/`;
  const files = [
    { path: join(cwd, CONFIG_FILE_NAME), text: CONFIG_TEXT },
    { path: join(cwd, 'opsmeter.config.schema.json'), text: schemaText },
    { path: join(dir, 'example.jsonl'), text: `${JSON.stringify(SAMPLE_PAYLOAD)}\n` },
  ];
  const sections = [`Check the payloads:\n\n  opsmeter validate --strict ${payloads}\n`];
  if (answers.ci !== 'none') sections.push(ciSnippet(answers.ci, payloads, await isDependency(cwd)));
  sections.push(
    [
      'pre-commit: add the hook to .pre-commit-config.yaml (README "pre-commit"), narrowed to the payload folder:',
      '',
      'repos:',
      '  - repo: https://github.com/<owner>/opsmeter',
      '    rev: <tag-or-commit>',
      '    hooks:',
      '      - id: opsmeter-validate',
      `        files: ^${escapeRegExp(payloads)}`,
      '        language_version: system',
      '',
    ].join('\n'),
  );
  return { files, instructions: sections.join('\n') };
}

/** The CI step: the repository's Action, or `npx opsmeter` where opsmeter is a dependency (GitLab needs that). */
export function ciSnippet(ci: Exclude<CiSystem, 'none'>, payloads: string, dependency: boolean): string {
  if (ci === 'gitlab') {
    return [
      'GitLab CI: add this job to .gitlab-ci.yml (opsmeter a devDependency of the project: README "Install"):',
      '',
      'validate-payloads:',
      '  image: node:24',
      '  script:',
      '    - npm ci',
      `    - npx opsmeter validate --strict --format junit -o opsmeter.xml ${payloads}`,
      '  artifacts:',
      '    when: always',
      '    reports: { junit: opsmeter.xml }',
      '',
    ].join('\n');
  }
  const steps = dependency
    ? ['      - uses: actions/setup-node@v7', '        with: { node-version: 24 }', '      - run: npm ci', `      - run: npx opsmeter validate --format github --strict ${payloads}`]
    : ['      - uses: <owner>/opsmeter@<tag-or-commit>', '        with:', `          paths: ${payloads}`, '          args: --strict'];
  return [
    `GitHub Actions: save as .github/workflows/payloads.yml${dependency ? '' : ' (<owner>/opsmeter: where your copy of opsmeter is hosted; README "GitHub Action")'}:`,
    '',
    'name: payloads',
    'on: [push, pull_request]',
    'jobs:',
    '  validate:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v7',
    ...steps,
    '',
  ].join('\n');
}

/**
 * Asks for the answers on a terminal, the defaults in brackets (Enter takes them; so does the
 * end of input). Lines are read as they come, so answers typed ahead are not lost.
 */
export async function askAnswers(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, defaults: InitAnswers): Promise<InitAnswers> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string | undefined> => {
    output.write(question);
    const next = await lines.next();
    return next.done ? undefined : next.value.trim();
  };
  try {
    const dir = (await ask(`Folder for payload files [${defaults.dir}]: `)) || defaults.dir;
    for (;;) {
      const answer = await ask(`CI system: github, gitlab or none [${defaults.ci}]: `);
      const ci = answer === undefined || answer === '' ? defaults.ci : answer.toLowerCase();
      if ((CI_SYSTEMS as readonly string[]).includes(ci)) return { dir, ci: ci as CiSystem };
      output.write(`  "${answer}" is none of github, gitlab, none\n`);
    }
  } finally {
    rl.close();
  }
}

interface InitFlags {
  yes?: boolean;
  force?: boolean;
  dir?: string;
  ci?: CiSystem;
}

export function defineCommand(cmd: Command): void {
  cmd
    .option('-y, --yes', 'ask nothing: take the defaults (or --dir and --ci)')
    .option('--force', 'overwrite files that exist')
    .option('--dir <folder>', 'the folder for payload files, relative to this one (default: payloads)')
    .addOption(new Option('--ci <system>', 'the CI step to print (default: gitlab when .gitlab-ci.yml exists, else github)').choices(CI_SYSTEMS))
    .addHelpText(
      'after',
      `\nWrites ${CONFIG_FILE_NAME}, opsmeter.config.schema.json and <folder>/example.jsonl here, and prints the CI step and\nthe pre-commit lines to add. Exit codes: 0 written, 2 a file exists (--force overwrites it) or no terminal to ask on (--yes).\nExamples:\n  opsmeter init\n  opsmeter init --yes --dir events --ci gitlab`,
    )
    .action(async (flags: InitFlags) => {
      await runInit(flags);
    });
}

async function runInit(flags: InitFlags): Promise<void> {
  const cwd = process.cwd();
  const defaults: InitAnswers = { dir: flags.dir ?? 'payloads', ci: flags.ci ?? detectCi(gitWorkTree(cwd) ?? cwd) };
  let answers = defaults;
  if (!flags.yes) {
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new OpsmeterError('init asks where payloads live and which CI you use, and there is no terminal to ask on', EXIT.usage, 'pass --yes to take the defaults (choose with --dir FOLDER and --ci github|gitlab|none)');
    }
    answers = await askAnswers(process.stdin, process.stderr, defaults);
  }
  const { configJsonSchema } = await import('../config/schema.js');
  const plan = await planInit(answers, cwd, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  const existing = plan.files.filter((f) => existsSync(f.path)).map((f) => relative(cwd, f.path));
  if (existing.length > 0 && !flags.force) {
    throw new OpsmeterError(`${existing.join(', ')} ${existing.length === 1 ? 'exists' : 'exist'}: nothing was written`, EXIT.usage, 'init never overwrites a file without --force');
  }
  for (const f of plan.files) {
    await mkdir(dirname(f.path), { recursive: true });
    await writeFile(f.path, f.text);
    process.stderr.write(`opsmeter: wrote ${relative(cwd, f.path)}\n`);
  }
  process.stdout.write(`\n${plan.instructions}`);
}
