/**
 * Rule settings: a team's choice of severity per rule id, from opsmeter.config.json,
 * `--rule RULE=LEVEL`, or a library caller's `rules` option. Levels are spelled as ESLint
 * and Spectral users type them — `"off" | "warn" | "error"` or `0 | 1 | 2` — and `"warning"`
 * (this tool's own word, in every report) is kept as an alias of `"warn"`.
 * They apply wherever this tool checks the contract (validate, import's gate, send's
 * local check) and in the findings the emulator reports, never in its answers, which model
 * the server.
 *
 * A RulePolicy is the compiled form: rule id → the RuleInfo to report instead (a copy
 * with the new severity) or null (off). Lint applies it to the few findings a payload
 * has, so a run without settings pays nothing and one with settings pays a map lookup
 * per finding.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { ALL_RULES, ruleById, type RuleInfo, type Severity } from './rules.js';

/** A level as the reports name it: what a setting means once read. */
export type RuleLevel = 'off' | Severity;
/** A level as a setting may spell it (ESLint's words and numbers, and `warning`). */
export type RuleLevelSetting = RuleLevel | 'warn' | 0 | 1 | 2;

/** Every spelling a setting may use, and the level it means (ESLint's order: off, warn, error). */
const LEVEL_SPELLINGS: ReadonlyMap<unknown, RuleLevel> = new Map<unknown, RuleLevel>([
  ['off', 'off'],
  ['warn', 'warning'],
  ['error', 'error'],
  [0, 'off'],
  [1, 'warning'],
  [2, 'error'],
  ['warning', 'warning'],
]);
/** The spellings, for messages, did-you-mean and the config's JSON Schema. */
export const RULE_LEVEL_WORDS: readonly string[] = ['off', 'warn', 'error', 'warning'];
export const RULE_LEVEL_NUMBERS: readonly number[] = [0, 1, 2];
/** How messages list the levels. */
export const LEVELS_TEXT = '"off", "warn" or "error" (or 0, 1, 2; "warning" = "warn")';

/** Rule id → level, e.g. `{ "payload/missing-prompt-version": "off" }` or `{ "payload/missing-latency": 2 }`. */
export type RuleSettings = Readonly<Record<string, RuleLevelSetting>>;

/** The level a spelling means, or undefined when it is none (`"warnig"`, `3`, `true`). */
export function ruleLevel(spelling: unknown): RuleLevel | undefined {
  return LEVEL_SPELLINGS.get(spelling);
}

/** What a bad level spelling was close to, for the message's did-you-mean (`"Warn"`, `"eror"`, `"2"`). */
export function levelSuggestion(spelling: unknown): string | undefined {
  if (typeof spelling !== 'string') return undefined;
  const trimmed = spelling.trim();
  if (/^[012]$/.test(trimmed)) return trimmed; // "2" in JSON: the number, without quotes
  return closest(trimmed, RULE_LEVEL_WORDS.slice(0, 3));
}

/**
 * Rules about reading the input, not about the payload: with them off a record that
 * cannot be read would vanish from the run, so they cannot be configured.
 */
const FIXED_RULES: ReadonlySet<string> = new Set(['json/syntax', 'json/duplicate-key', 'json/line-too-long', 'json/encoding', 'payload/not-object']);

/** The rule ids a configuration may name. */
export const CONFIGURABLE_RULE_IDS: readonly string[] = ALL_RULES.map((r) => r.id).filter((id) => !FIXED_RULES.has(id));

/** A rule setting that names no rule, a fixed rule, or no level (exit 2). */
export class RuleSettingError extends OpsmeterError {}

export class RulePolicy {
  /** True when some warning rule is raised to error: errors-only lint must then run the warning checks too. */
  readonly raisesWarning: boolean;
  /** The settings as given, with each level in the reports' words (off, warning, error). */
  readonly settings: Readonly<Record<string, RuleLevel>>;
  /** Only the settings that differ from the rules' defaults, for reports. */
  readonly overrides: Readonly<Record<string, RuleLevel>>;
  private readonly replace = new Map<RuleInfo, RuleInfo | null>();

  constructor(settings: RuleSettings) {
    let raises = false;
    const kept: Record<string, RuleLevel> = {};
    const overrides: Record<string, RuleLevel> = {};
    for (const [id, spelling] of Object.entries(settings)) {
      const rule = checkRuleId(id);
      const level = ruleLevel(spelling);
      if (level === undefined) throw badLevel(`rule ${id}`, spelling);
      kept[id] = level;
      if (level === rule.severity) continue;
      overrides[id] = level;
      this.replace.set(rule, level === 'off' ? null : { ...rule, severity: level });
      if (level === 'error' && rule.severity === 'warning') raises = true;
    }
    this.raisesWarning = raises;
    this.settings = Object.freeze(kept);
    this.overrides = Object.freeze(overrides);
  }

  /** True when no setting changes anything (all match the defaults). */
  get isDefault(): boolean {
    return this.replace.size === 0;
  }

  /** The rule as configured: the same object when untouched, a copy with another severity, or null when off. */
  effective(rule: RuleInfo): RuleInfo | null {
    const r = this.replace.get(rule);
    return r === undefined ? rule : r;
  }

  /** The level a rule runs at. */
  levelOf(rule: RuleInfo): RuleLevel {
    const r = this.effective(rule);
    return r === null ? 'off' : r.severity;
  }

  /**
   * Findings with the settings applied: off ones dropped, others re-labelled; with
   * `errorsOnly`, only those that end up errors. Returns the same array when nothing changes.
   */
  apply<F extends { rule: RuleInfo }>(findings: F[], errorsOnly: boolean): F[] {
    let changed = false;
    for (const f of findings) {
      if (this.replace.has(f.rule) || (errorsOnly && f.rule.severity !== 'error')) {
        changed = true;
        break;
      }
    }
    if (!changed) return findings;
    const out: F[] = [];
    for (const f of findings) {
      const r = this.effective(f.rule);
      if (r === null || (errorsOnly && r.severity !== 'error')) continue;
      out.push(r === f.rule ? f : { ...f, rule: r });
    }
    return out;
  }
}

const compiled = new WeakMap<object, RulePolicy>();

/** The policy for settings: compiled once per settings object (a library caller may pass the same plain object every time). */
export function rulePolicy(settings: RuleSettings | RulePolicy): RulePolicy {
  if (settings instanceof RulePolicy) return settings;
  let p = compiled.get(settings);
  if (p === undefined) compiled.set(settings, (p = new RulePolicy(settings)));
  return p;
}

/** The rule an id names, or a RuleSettingError saying why not (with a did-you-mean). */
export function checkRuleId(id: string): RuleInfo {
  const rule = ruleById(id);
  if (rule === undefined) {
    const s = closest(id, CONFIGURABLE_RULE_IDS);
    throw new RuleSettingError(`unknown rule "${id}"`, EXIT.usage, s ? `did you mean "${s}"? (the README's Rules table lists them all)` : 'the README\'s Rules table lists the rule ids');
  }
  if (FIXED_RULES.has(id)) {
    throw new RuleSettingError(
      `rule ${id} cannot be configured: it reports input that cannot be read as a payload`,
      EXIT.usage,
      'remove it from the rule settings; the json/* rules and payload/not-object are always errors',
    );
  }
  return rule;
}

/** A level that is none of the spellings (exit 2), with a did-you-mean when one is close. */
function badLevel(what: string, spelling: unknown): RuleSettingError {
  const s = levelSuggestion(spelling);
  return new RuleSettingError(
    `${what}: level must be ${LEVELS_TEXT}, got ${JSON.stringify(spelling) ?? String(spelling)}`,
    EXIT.usage,
    s ? `did you mean ${/^\d$/.test(s) ? s : `"${s}"`}?` : 'e.g. "payload/missing-latency": "warn"',
  );
}

/** `RULE=LEVEL` from `--rule` (LEVEL: off|warn|error, 0|1|2, or warning), checked. */
export function parseRuleFlag(text: string): [string, RuleLevel] {
  const eq = text.lastIndexOf('=');
  if (eq === -1) {
    throw new RuleSettingError(`--rule takes RULE=off|warn|error (or 0|1|2), got "${text}"`, EXIT.usage, 'e.g. --rule payload/missing-prompt-version=off');
  }
  const id = text.slice(0, eq).trim();
  const word = text.slice(eq + 1).trim();
  checkRuleId(id);
  // On a command line every level is text: "2" is the number 2.
  const level = ruleLevel(/^[012]$/.test(word) ? Number(word) : word);
  if (level === undefined) {
    const s = levelSuggestion(word);
    throw new RuleSettingError(
      `--rule takes RULE=off|warn|error (or 0|1|2), got "${text}"`,
      EXIT.usage,
      s ? `did you mean --rule ${id}=${s}?` : 'e.g. --rule payload/missing-prompt-version=off',
    );
  }
  return [id, level];
}

/**
 * The candidate nearest to `word` by edit distance, when near enough to be a likely typo
 * (a third of the word's length). Hand-written: a dozen lines against a dependency.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // A bare rule name without its group ("missing-latency") is a likely slip too.
  if (best === undefined) best = candidates.find((c) => c.endsWith('/' + w));
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
