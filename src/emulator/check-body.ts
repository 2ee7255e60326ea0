/**
 * An ingest body checked as `opsmeter validate` checks a record (docs/emulate.md, "Every
 * payload is linted"): UTF-8, JSON syntax, duplicate keys, then every lint rule, warnings
 * included. Two verdicts come out of one lint:
 *
 * - the server's: the contract errors the API enforces, at the rules' own severities, refuse
 *   the payload (400); the policy errors (PII in userId) only earn a note in `warnings`, as
 *   the real API accepts them. The team's rule settings never change an answer: the emulator
 *   models the server, and a rule turned off locally is still enforced there.
 * - the team's: every finding at the severity the team's settings give it (opsmeter.config.json,
 *   --rule), located in the body (line, column) and by its JSON pointer, for the request log
 *   and the report. A payload the server refused always shows why, whatever the settings.
 */
import { isUtf8 } from 'node:buffer';
import type { Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
import { lintPayload, type Finding } from '../contract/lint.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import { RULES, type RuleInfo, type Severity } from '../contract/rules.js';
import { findDuplicateKey, findSyntaxFault, LineIndex, Locator, mayHaveDuplicateKeys, topLevelMembers, type Position } from '../read/locate.js';
import { asDemoRow } from './demo.js';

/** One lint finding about a request's body, as the request log and the report show it. */
export interface RequestFinding {
  rule: string;
  /** As the team's rule settings have it. */
  severity: Severity;
  /** RFC 6901 pointer into the body ("" for the body itself). */
  pointer: string;
  message: string;
  hint?: string;
  /** 1-based line and column in the body (a one-line JSON body is all line 1). */
  line: number;
  column: number;
}

/** One entry of a 400's `errors` (the emulator's own convention, docs/emulate.md). */
export interface PayloadError {
  pointer: string;
  message: string;
  rule: string;
  hint?: string;
}

export interface BodyContext {
  catalog: Catalog;
  /** The team's rule settings; undefined: the rules' own severities. */
  rules: RulePolicy | undefined;
  /** Wall clock (ms) for the createdAt checks. */
  now: number;
  /** POST /v1/ingest/demo: an empty body makes a demo row, a payload is stored as one. */
  demo: boolean;
  /** Makes the demo endpoint's row for an empty body. */
  demoRow: (now: number) => Payload;
}

export type BodyVerdict = (
  | {
      ok: true;
      payload: Payload;
      /** Notes for the 200's `warnings` (policy errors the API does not enforce). */
      serverWarnings: string[];
      findings: RequestFinding[];
      /** Locates further findings about this body (a conflicting resend is found later). */
      locate: (found: Finding[]) => RequestFinding[];
    }
  | { ok: false; errors: PayloadError[]; findings: RequestFinding[] }
) & {
  /** The body's externalRequestId when it has a string one, refused or not (for the log). */
  externalRequestId?: string;
};

/**
 * Lint errors that are opsmeter's policy, not the API's validation: the docs only advise
 * against PII in userId and the SDKs forward any string, so the emulator accepts the row
 * and says so in `warnings` (opsmeter validate keeps them errors).
 */
const isPolicyRule = (id: string) => id.startsWith('payload/pii-');

/** A body the emulator cannot even read as one payload: one error, at `offset` in the text. */
function unreadable(rule: RuleInfo, message: string, text: string, offset = 0, pointer = '', externalRequestId?: string): BodyVerdict {
  const at = text === '' ? { line: 1, column: 1 } : new LineIndex(text).at(offset);
  return {
    ok: false,
    errors: [{ pointer, message, rule: rule.id }],
    findings: [{ rule: rule.id, severity: 'error', pointer, message, hint: rule.hint, line: at.line, column: at.column }],
    ...(externalRequestId !== undefined ? { externalRequestId } : {}),
  };
}

/** The payload's externalRequestId when it has a string one (for the log, refused or not). */
function idOf(value: unknown): string | undefined {
  const id = (value as { externalRequestId?: unknown } | null)?.externalRequestId;
  return typeof id === 'string' ? id : undefined;
}

export function checkBody(body: Buffer, ctx: BodyContext): BodyVerdict {
  // Decoding invalid UTF-8 with replacement characters could make two different ids equal.
  if (!isUtf8(body)) return unreadable(RULES.jsonEncoding, 'the body is not valid UTF-8', '');
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  if (text.trim() === '') {
    if (!ctx.demo) return unreadable(RULES.notObject, 'empty body: send one payload as a JSON object', '');
    value = ctx.demoRow(ctx.now);
  } else {
    try {
      value = JSON.parse(text);
    } catch (e) {
      const fault = findSyntaxFault(text, (e as Error).message);
      return unreadable(RULES.jsonSyntax, `invalid JSON: ${fault.message}`, text, fault.offset);
    }
    // JSON.parse keeps the last of two equal keys; validate (and send) refuse such a payload.
    if (typeof value === 'object' && value !== null && mayHaveDuplicateKeys(text, value)) {
      const dup = findDuplicateKey(text);
      if (dup) return unreadable(RULES.jsonDuplicateKey, `key "${dup.key}" appears twice in one object`, text, dup.offset, dup.pointer, idOf(value));
    }
    if (ctx.demo) value = asDemoRow(value);
  }
  const externalRequestId = idOf(value);
  const all = lintPayload(value, { catalog: ctx.catalog, now: ctx.now });
  const refusing = all.filter((f) => f.rule.severity === 'error' && !isPolicyRule(f.rule.id));
  const team = ctx.rules ? ctx.rules.apply(all, false) : all;
  // A refusal always shows its reasons, as errors, even those the team's settings turn off or down.
  const key = (f: Finding) => `${f.rule.id}\u0000${f.pointer}`;
  const refused = new Set(refusing.map(key));
  const shown = refusing.length === 0 ? team : [...refusing, ...team.filter((f) => !refused.has(key(f)))];
  const locate = bodyLocator(text);
  const findings = locate(shown);
  if (refusing.length > 0) {
    const errors = refusing.map((f) => ({ pointer: f.pointer, message: f.message, rule: f.rule.id, ...(f.hint ? { hint: f.hint } : {}) }));
    return { ok: false, errors, findings, externalRequestId };
  }
  const serverWarnings = all.filter((f) => f.rule.severity === 'error').map((f) => `${f.message} (accepted; opsmeter validate reports ${f.rule.id})`);
  return { ok: true, payload: value as Payload, serverWarnings, findings, locate, externalRequestId };
}

/**
 * Locates findings in the body: a pointer to the body or to one of its top-level members from
 * one walk over the text (topLevelMembers), anything deeper with the Locator's parse. Both give
 * the same line and column (test/read/locate.test.ts); the walk is what almost every finding
 * needs, at a fraction of the parse's cost and garbage.
 */
function bodyLocator(text: string): (found: Finding[]) => RequestFinding[] {
  let lines: LineIndex | undefined;
  let locator: Locator | undefined;
  let top: ReturnType<typeof topLevelMembers> | null = null;
  const at = (offset: number): Position => (lines ??= new LineIndex(text)).at(offset);
  const where = (f: Finding): Position => {
    // A generated demo row has no text: its findings are the body's as a whole.
    if (text === '') return { line: 1, column: 1 };
    const pointer = f.pointer;
    if (pointer.indexOf('/', 1) === -1) {
      top ??= topLevelMembers(text);
      if (top) {
        const name = pointer.includes('~') ? pointer.slice(1).replace(/~1/g, '/').replace(/~0/g, '~') : pointer.slice(1);
        const member = pointer !== '' && f.target !== 'record' ? top.members.get(name) : undefined;
        return at(member ? (f.target === 'key' ? member.key : member.value) : top.start);
      }
    }
    return (locator ??= new Locator(text)).locate(pointer, f.target);
  };
  return (found) =>
    found.map((f) => {
      const { line, column } = where(f);
      // Every finding says what to do: its own hint, else the rule's.
      return { rule: f.rule.id, severity: f.rule.severity, pointer: f.pointer, message: f.message, hint: f.hint ?? f.rule.hint, line, column };
    });
}
