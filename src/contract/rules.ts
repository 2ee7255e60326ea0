/**
 * The lint rule registry: every problem opsmeter reports carries one of these ids.
 * Ids are stable (CI configs and SARIF consumers key on them); the README's rule
 * table is checked against this list by a test.
 */

export type Severity = 'error' | 'warning';

export interface RuleInfo {
  readonly id: string;
  readonly severity: Severity;
  readonly doc: string;
}

function rule(id: string, severity: Severity, doc: string): RuleInfo {
  return { id, severity, doc };
}

export const RULES = {
  // Input that is not a payload at all.
  jsonSyntax: rule('json/syntax', 'error', 'The record is not valid JSON (the column points at the fault).'),
  jsonDuplicateKey: rule('json/duplicate-key', 'error', 'The same key appears twice in one object; receivers disagree on which value wins.'),
  jsonLineTooLong: rule('json/line-too-long', 'error', 'A JSONL line is over 10 MB; it is reported, not buffered.'),
  jsonEncoding: rule('json/encoding', 'error', 'The file is not UTF-8 text (binary bytes or UTF-16).'),
  notObject: rule('payload/not-object', 'error', 'A payload must be a JSON object.'),
  fileEmpty: rule('file/empty', 'warning', 'The file holds no payloads (empty, only blank lines, or an empty array).'),

  // The wire contract.
  required: rule('payload/required', 'error', '`provider`, `model` and `status` are required.'),
  type: rule('payload/type', 'error', 'A field has the wrong JSON type (e.g. a number sent as a string).'),
  stringLength: rule('payload/string-length', 'error', 'Identifier strings must be 1–256 characters.'),
  enumValue: rule('payload/enum', 'error', '`status`, `dataMode` and `environment` take exact lowercase values.'),
  count: rule('payload/count', 'error', 'Token counts and `latencyMs` must be non-negative safe integers (no 12.5, no 1e400).'),
  usageMissing: rule('payload/usage-missing', 'error', '`inputTokens` and `outputTokens` are required unless the payload is marked partial.'),
  partialMark: rule('payload/partial-mark', 'error', '`metadata.usageStatus` is "partial" or "complete"; a partial payload needs a known `metadata.partialReason`.'),
  createdAt: rule('payload/created-at', 'error', '`createdAt` must be an ISO-8601 date-time with a zone (Z or ±hh:mm).'),
  metadata: rule('payload/metadata', 'error', '`metadata` must be an object of string/number/boolean/null values.'),
  piiUserId: rule('payload/pii-user-id', 'error', '`userId` looks like PII (e-mail, phone number, IP address); hash it first.'),

  // Legal, but hurts attribution or cost.
  missingExternalRequestId: rule('payload/missing-external-request-id', 'warning', 'Without `externalRequestId`, retries are counted twice.'),
  duplicateExternalRequestId: rule('payload/duplicate-external-request-id', 'warning', 'The same `externalRequestId` appears twice with different content; only one will count.'),
  totalMismatch: rule('payload/total-mismatch', 'warning', '`totalTokens` differs from `inputTokens + outputTokens`.'),
  unknownProvider: rule('catalog/unknown-provider', 'warning', 'The provider is not in the catalog; the row would land as "unknown" at $0.'),
  unknownModel: rule('catalog/unknown-model', 'warning', 'The model is not in the catalog; the row would land as "unknown" at $0.'),
  missingPromptVersion: rule('payload/missing-prompt-version', 'warning', 'No `promptVersion`: cost changes cannot be tied to a deploy.'),
  missingEndpointTag: rule('payload/missing-endpoint-tag', 'warning', 'No `endpointTag`: cost cannot be attributed to a feature.'),
  missingLatency: rule('payload/missing-latency', 'warning', 'A complete payload without `latencyMs`.'),
  errorCodeOnSuccess: rule('payload/error-code-on-success', 'warning', '`errorCode` is set while `status` is "success".'),
  errorCodeMissing: rule('payload/error-code-missing', 'warning', '`status` is "error" but no `errorCode` says why.'),
  modeEnvironmentMix: rule('payload/mode-environment-mix', 'warning', '`dataMode` and `environment` disagree (real data outside prod, or test/demo data in prod).'),
  unknownField: rule('payload/unknown-field', 'warning', 'A top-level field the API does not document; server behaviour is unknown.'),
  createdAtFuture: rule('payload/created-at-future', 'warning', '`createdAt` lies in the future.'),
  createdAtOld: rule('payload/created-at-old', 'warning', '`createdAt` is older than the Free plan\'s 14-day raw retention.'),
} as const satisfies Record<string, RuleInfo>;

export type RuleKey = keyof typeof RULES;
export const ALL_RULES: readonly RuleInfo[] = Object.values(RULES);
const byId = new Map(ALL_RULES.map((r) => [r.id, r]));

export function ruleById(id: string): RuleInfo | undefined {
  return byId.get(id);
}
