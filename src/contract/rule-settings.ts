/**
 * Rule settings: a team's choice of severity per rule id (`"off" | "warning" | "error"`),
 * from opsmeter.config.json, `--rule RULE=LEVEL`, or a library caller's `rules` option.
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

export type RuleLevel = 'off' | Severity;
export const RULE_LEVELS: readonly RuleLevel[] = ['off', 'warning', 'error'];

/** Rule id → level, e.g. `{ "payload/missing-prompt-version": "off" }`. */
export type RuleSettings = Readonly<Record<string, RuleLevel>>;

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
  /** The settings as given (after validation). */
  readonly settings: RuleSettings;
  /** Only the settings that differ from the rules' defaults, for reports. */
  readonly overrides: RuleSettings;
  private readonly replace = new Map<RuleInfo, RuleInfo | null>();

  constructor(settings: RuleSettings) {
    let raises = false;
    const kept: Record<string, RuleLevel> = {};
    const overrides: Record<string, RuleLevel> = {};
    for (const [id, level] of Object.entries(settings)) {
      const rule = checkRuleId(id);
      if (!RULE_LEVELS.includes(level)) {
        throw new RuleSettingError(`rule ${id}: level must be one of off, warning, error, got ${JSON.stringify(level)}`, EXIT.usage);
      }
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

/** `RULE=LEVEL` from `--rule`, checked. */
export function parseRuleFlag(text: string): [string, RuleLevel] {
  const eq = text.lastIndexOf('=');
  const id = eq === -1 ? text : text.slice(0, eq).trim();
  const level = eq === -1 ? '' : text.slice(eq + 1).trim();
  if (eq === -1 || !RULE_LEVELS.includes(level as RuleLevel)) {
    throw new RuleSettingError(`--rule takes RULE=off|warning|error, got "${text}"`, EXIT.usage, 'e.g. --rule payload/missing-prompt-version=off');
  }
  checkRuleId(id);
  return [id, level as RuleLevel];
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
