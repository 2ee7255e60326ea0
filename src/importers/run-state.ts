/**
 * What one `opsmeter import` shares across the formats it reads. `--from auto` on a folder of
 * several formats reads each format's files with its own adapter, one after another, into one
 * tally, one output and one duplicate-id index, so the run has one summary and counts a copy
 * once whichever file it is in (docs/import.md, "Several formats in one folder").
 */
import { ImportIdIndex } from './id-index.js';
import type { ImportTally } from './import-summary.js';

/**
 * Request ids a provider issued, which name one request wherever it was logged: OpenAI
 * `chatcmpl-…`, `resp_…`, `batch_req_…`; Anthropic `msg_…` (`msg_bdrk_…` on Bedrock) and
 * `req_…`; OpenRouter `gen-…`; UUIDs (Bedrock's `requestId`, Azure's `request_id`, LiteLLM's).
 * Ids an adapter composes (`<batch>:<custom_id>`, `key:…`, Codex's `<session>:<totals>`, derived
 * hashes) are not among them: they are unique only within their format.
 */
const PROVIDER_REQUEST_ID = /^(?:(?:chatcmpl-|resp_|batch_req_|msg_|req_|gen-)[A-Za-z0-9_-]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export class RunState {
  /** Every externalRequestId written so far, whatever the format (hashes only, answered at once in bounded memory). */
  readonly written: ImportIdIndex;
  /** Provider request ids written so far, without the format (which is part of externalRequestId). */
  private readonly providerIds: ImportIdIndex;
  private format = 0;

  /** @param idIndexEntries ids each index keeps in memory before it spills (ImportOptions.idIndexEntries) */
  constructor(
    readonly tally: ImportTally,
    idIndexEntries?: number,
  ) {
    this.written = new ImportIdIndex({ maxEntries: idIndexEntries });
    this.providerIds = new ImportIdIndex({ maxEntries: idIndexEntries });
  }

  /** Removes the indexes' temp files, once the run is over. */
  close(): void {
    this.written.close();
    this.providerIds.close();
  }

  /** The files read from now on are of another format. */
  nextFormat(): void {
    this.format++;
  }

  /**
   * Whether a payload about to be written repeats a provider request id another format already
   * wrote (the same request in two logs): then it is a copy. A repeat within one format never
   * gets here: its externalRequestId is the same, and `written` caught it.
   */
  copyFromAnotherFormat(sourceId: string, inputTokens: number | undefined, outputTokens: number | undefined, line: number): boolean {
    if (!PROVIDER_REQUEST_ID.test(sourceId)) return false;
    const tokens = (Math.imul((inputTokens ?? -1) | 0, 0x01000193) ^ ((outputTokens ?? -1) | 0)) >>> 0;
    const seen = this.providerIds.add(sourceId, tokens, this.format, line);
    if (!seen) return false;
    if (seen.fileIndex === this.format) return false; // the same format scoped it (another request key)
    this.tally.crossFormatCopies++;
    if (!seen.sameContent) this.tally.crossFormatConflicts++;
    return true;
  }
}
