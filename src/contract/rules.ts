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
  /** What to do about it, when a finding has no more specific hint. */
  readonly hint: string;
}

function rule(id: string, severity: Severity, doc: string, hint: string): RuleInfo {
  return { id, severity, doc, hint };
}

export const RULES = {
  // Input that is not a payload at all.
  jsonSyntax: rule('json/syntax', 'error', 'The record is not valid JSON (the column points at the fault).', 'fix the JSON at the caret: a truncated line, a missing quote, comma or bracket, or NaN/Infinity, which JSON cannot carry'),
  jsonDuplicateKey: rule('json/duplicate-key', 'error', 'The same key appears twice in one object; receivers disagree on which value wins.', 'keep one of the two keys'),
  jsonLineTooLong: rule('json/line-too-long', 'error', 'A JSONL line is over 10 MB; it is reported, not buffered.', 'a payload is a few hundred bytes: this line is not one payload (several glued together, or a dump)'),
  jsonEncoding: rule('json/encoding', 'error', 'The file is not UTF-8 text (binary bytes or UTF-16).', 'save the file as UTF-8 text'),
  notObject: rule('payload/not-object', 'error', 'A payload must be a JSON object.', 'each payload is one {...} object; a .json file may hold an array of them'),
  fileEmpty: rule('file/empty', 'warning', 'The file holds no payloads (empty, only blank lines, or an empty array).', 'add payloads or remove the file (--allow-empty covers finding no files, not empty ones)'),

  // The wire contract.
  required: rule('payload/required', 'error', '`provider`, `model` and `status` are required.', 'add it, e.g. "provider": "openai", "model": "gpt-4o-mini", "status": "success"'),
  type: rule('payload/type', 'error', 'A field has the wrong JSON type (e.g. a number sent as a string).', 'send the JSON type the contract names (opsmeter schema prints it)'),
  stringLength: rule('payload/string-length', 'error', 'Identifier strings must be 1–256 characters.', 'identifiers are 1-256 characters: leave an empty one out, hash or shorten a long one'),
  enumValue: rule('payload/enum', 'error', '`status`, `dataMode` and `environment` take exact lowercase values.', 'use one of the listed values exactly, in lowercase'),
  count: rule('payload/count', 'error', 'Token counts and `latencyMs` must be non-negative safe integers (no 12.5, no 1e400).', 'send the measured whole number; if it is unknown, leave it out and mark the payload partial'),
  usageMissing: rule('payload/usage-missing', 'error', '`inputTokens` and `outputTokens` are required unless the payload is marked partial.', 'send the measured counts, or mark the payload partial: metadata.usageStatus="partial" with a partialReason'),
  partialMark: rule('payload/partial-mark', 'error', '`metadata.usageStatus` is "partial" or "complete"; a partial payload needs a known `metadata.partialReason`.', 'partialReason is one of usage_missing, request_failed, batch_expired, batch_canceled, not_measured'),
  createdAt: rule('payload/created-at', 'error', '`createdAt` must be an ISO-8601 date-time with a zone (Z or ±hh:mm).', 'e.g. "2026-03-01T12:00:00Z" or "2026-03-01T14:00:00+02:00"'),
  metadata: rule('payload/metadata', 'error', '`metadata` must be an object of string/number/boolean/null values.', 'flatten nested values, or JSON-encode them into a string'),
  piiUserId: rule('payload/pii-user-id', 'error', '`userId` looks like PII (e-mail, phone number, IP address, card number, IBAN); hash it first.', 'hash identifiers before sending (opsmeter import --hash-user-ids SALT does this)'),

  // Legal, but hurts attribution or cost.
  missingExternalRequestId: rule('payload/missing-external-request-id', 'warning', 'Without `externalRequestId`, retries are counted twice.', 'generate one id per LLM call and reuse it on every retry'),
  duplicateExternalRequestId: rule('payload/duplicate-external-request-id', 'warning', 'The same `externalRequestId` appears twice with different content; only one will count.', 'give each LLM call its own id; reuse an id only for a retry of the same call'),
  totalMismatch: rule('payload/total-mismatch', 'warning', '`totalTokens` differs from `inputTokens + outputTokens`.', 'send totalTokens = inputTokens + outputTokens, or leave it out'),
  unknownProvider: rule('catalog/unknown-provider', 'warning', 'The provider is not in the catalog; the row would land as "unknown" at $0.', 'use a provider id from `opsmeter catalog`'),
  unknownModel: rule('catalog/unknown-model', 'warning', 'The model is not in the catalog; the row would land as "unknown" at $0.', 'use a model id from `opsmeter catalog --provider <provider>`'),
  missingPromptVersion: rule('payload/missing-prompt-version', 'warning', 'No `promptVersion`: cost changes cannot be tied to a deploy.', 'e.g. "summarizer_v3"; new deploy = new version'),
  missingEndpointTag: rule('payload/missing-endpoint-tag', 'warning', 'No `endpointTag`: cost cannot be attributed to a feature.', 'name the product feature, e.g. "checkout.ai_summary"'),
  placeholderValue: rule('payload/placeholder-value', 'warning', 'An attribution field holds a placeholder such as `"unknown"` or `"sdk.unknown"` (the official SDKs\' defaults); all such rows land in one bucket.', 'send the real prompt version or feature (the SDKs take them from the request context), or leave the field out'),
  missingLatency: rule('payload/missing-latency', 'warning', 'A complete payload without `latencyMs`.', "measure the provider call's wall time in ms (a timestamp before the call, one after)"),
  zeroUsage: rule('payload/zero-usage', 'warning', 'A "success" with `inputTokens` and `outputTokens` both 0: usually usage the provider did not return, sent as 0.', 'if usage was not returned, leave the counts out and mark the payload partial: metadata.usageStatus="partial", metadata.partialReason="usage_missing"'),
  errorCodeOnSuccess: rule('payload/error-code-on-success', 'warning', '`errorCode` is set while `status` is "success".', 'send errorCode null on success, or status "error" if the call failed'),
  errorCodeMissing: rule('payload/error-code-missing', 'warning', '`status` is "error" but no `errorCode` says why.', 'e.g. "provider_timeout"'),
  modeEnvironmentMix: rule('payload/mode-environment-mix', 'warning', '`dataMode` and `environment` disagree (real data outside prod, or test/demo data in prod).', 'real traffic is dataMode "real" in "prod"; QA is "test" in "staging"/"dev"; demos are "demo" in "dev"'),
  unknownField: rule('payload/unknown-field', 'warning', 'A top-level field the API does not document; server behaviour is unknown.', 'remove it, or move it into metadata'),
  createdAtFuture: rule('payload/created-at-future', 'warning', '`createdAt` lies in the future.', "check the producer's clock and time zone"),
  piiValue: rule('payload/pii-value', 'warning', '`tenantId`, `endpointTag`, `featureTag` or a `metadata` string looks like PII (e-mail, phone number, IP address, card number, IBAN); the API forbids PII anywhere.', 'hash or drop it before sending (opsmeter import --hash-user-ids SALT hashes tenantId and the identifiers it copies into metadata)'),
  createdAtOld: rule('payload/created-at-old', 'warning', '`createdAt` is older than the Free plan\'s 14-day raw retention.', 'on the Free plan raw rows older than 14 days are purged (Starter 30, Pro 90, Team 180)'),
} as const satisfies Record<string, RuleInfo>;

export const ALL_RULES: readonly RuleInfo[] = Object.values(RULES);
const byId = new Map(ALL_RULES.map((r) => [r.id, r]));

export function ruleById(id: string): RuleInfo | undefined {
  return byId.get(id);
}
