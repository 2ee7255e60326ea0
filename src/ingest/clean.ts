/**
 * The documented cleanup endpoints (docs/api-facts.md §1): `DELETE /v1/ingest/test-data` and
 * `DELETE /v1/ingest/demo-data`, `?scope=mine|workspace`, with a dashboard user's Bearer
 * token (not the workspace API key). `workspace` needs an Owner/Admin; `mine` works for
 * every role. A DELETE is idempotent, so 429 / 5xx / network errors are retried like the
 * sender's. The response body is undocumented: a count is read if one is there.
 */
import { EXIT } from '../errors.js';
import type { ApiClient } from './client.js';
import { DEFAULT_POLICY, requestWithRetries, type RetryPolicy } from './retry.js';

const CLEANUP_PATHS = { test: '/v1/ingest/test-data', demo: '/v1/ingest/demo-data' } as const;
export type CleanupData = keyof typeof CLEANUP_PATHS;
const SCOPES = ['mine', 'workspace'] as const;
export type CleanupScope = (typeof SCOPES)[number];

export type CleanResult =
  | { ok: true; url: string; status: number; deleted: number | undefined; body: unknown }
  | { ok: false; exitCode: typeof EXIT.auth | typeof EXIT.gaveUp; message: string; hint?: string };

const COUNT_FIELDS = ['deleted', 'deletedCount', 'deletedRows', 'rowsDeleted', 'count'];

/** How many rows the API says it deleted, if its body says so under a likely name. */
function deletedCount(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  for (const k of COUNT_FIELDS) {
    const v = (body as Record<string, unknown>)[k];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  }
  return undefined;
}

export async function cleanData(client: ApiClient, data: CleanupData, scope: CleanupScope, policy: RetryPolicy = DEFAULT_POLICY, sleep?: (ms: number) => Promise<void>): Promise<CleanResult> {
  const path = `${CLEANUP_PATHS[data]}?scope=${scope}`;
  const url = client.url(path);
  const r = await requestWithRetries(policy, 'empty-or-json', () => client.delete(path), sleep);
  const { text } = r;
  const v = r.last;
  switch (v.kind) {
    case 'accepted': {
      let body: unknown;
      try {
        body = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      return { ok: true, url, status: v.status, deleted: deletedCount(body), body };
    }
    case 'unauthorized':
      return {
        ok: false,
        exitCode: EXIT.auth,
        message: `the token was refused (HTTP ${v.status}: ${v.message})`,
        hint:
          v.status === 403 && scope === 'workspace'
            ? '--scope workspace needs an Owner or Admin; --scope mine works for every role'
            : "OPSMETER_TOKEN (or --token-file) must hold a signed-in dashboard user's token; the workspace API key is not one",
      };
    case 'throttled':
    case 'not-api':
    case 'failed':
      return { ok: false, exitCode: EXIT.gaveUp, message: `could not delete the ${data} rows at ${url}: ${r.why ?? v.kind}` };
    default:
      return {
        ok: false,
        exitCode: EXIT.gaveUp,
        message: `could not delete the ${data} rows at ${url}: HTTP ${v.status}: ${v.message}`,
        hint: v.kind === 'rejected' ? v.hint : undefined,
      };
  }
}
