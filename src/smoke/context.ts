/**
 * What `opsmeter smoke`'s checks share: the target (the embedded emulator, or a real API with a
 * key and maybe a dashboard token), its clients, the one generated test event, the first
 * workspace-status answer, and extra emulators with faults for the emulator-only checks.
 * Opened once before the checks, closed once after them.
 */
import type { Catalog } from '../contract/catalog.js';
import type { Emulator, EmulatorOptions } from '../emulator/server.js';
import { createClient, type ApiClient } from '../ingest/client.js';
import { resolveTarget, type Target } from '../ingest/config.js';
import { generateEvents } from '../ingest/generate.js';
import { fetchStatus, type StatusFetch } from '../ingest/status.js';

export interface CheckResult {
  name: string;
  /** 'skip' only for checks that cannot run against this target (said in `detail`). */
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  ms: number;
}

export interface SmokeOptions {
  /**
   * A real API: base URL and key, and optionally a dashboard user's token so the test rows
   * smoke sent can be deleted at the end. Undefined → the embedded emulator.
   */
  remote?: { target: Target; apiKey: string; token?: string };
  catalog: Catalog;
  /** The package root (fixtures live below it). */
  root: string;
  timeoutMs: number;
  /** Seed for generated events (ids are unique per seed). */
  seed: string;
  /** Called as each check finishes, so the checklist prints live. */
  onCheck?: (r: CheckResult) => void;
}

/** An emulator started for one check, and a client holding its key. */
export interface FaultyEmulator {
  emulator: Emulator;
  client: ApiClient;
}

export interface SmokeContext {
  readonly opts: SmokeOptions;
  /** The embedded emulator, or undefined against a real API. */
  readonly emulator: Emulator | undefined;
  /** The X-API-Key client every check talks through. */
  readonly client: ApiClient;
  /** The dashboard token's client (Bearer), when there is a token. */
  readonly cleaner: ApiClient | undefined;
  /** The target as the checklist names it. */
  readonly targetText: string;
  /** The one test event: accepted, resent, deleted and sent again by the checks. */
  readonly payload: { externalRequestId: string };
  /** The first workspace-status answer, fetched once (the host check and the key check read it). */
  firstStatus(): Promise<StatusFetch>;
  /** Another embedded emulator with some faults (emulator-only checks); closed with the context. */
  startEmulator(o: EmulatorOptions): Promise<FaultyEmulator>;
}

/** Opens the target and its clients; `close` ends every client and emulator it made. */
export async function openSmokeContext(opts: SmokeOptions): Promise<{ context: SmokeContext; close(): Promise<void> }> {
  const emulatorModule = opts.remote ? undefined : await import('../emulator/server.js');
  const emulators: Emulator[] = [];
  const clients: ApiClient[] = [];
  const close = async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(emulators.map((e) => e.close()));
  };

  /** An embedded emulator and its two clients (the key's and the dashboard token's). */
  const startEmulator = async (o: EmulatorOptions): Promise<FaultyEmulator & { cleaner: ApiClient }> => {
    const m = emulatorModule!;
    const emulator = await m.startEmulator({ host: '127.0.0.1', port: 0, apiKey: m.DEFAULT_EMULATOR_KEY, catalog: opts.catalog, seed: 1, ...o });
    emulators.push(emulator);
    const target = resolveTarget({ baseUrl: emulator.url }, {});
    const client = createClient({ target, apiKey: m.DEFAULT_EMULATOR_KEY, timeoutMs: opts.timeoutMs, connections: 4, env: {} });
    const cleaner = createClient({ target, bearerToken: m.DEFAULT_EMULATOR_TOKEN, timeoutMs: opts.timeoutMs, connections: 1, env: {} });
    clients.push(client, cleaner);
    return { emulator, client, cleaner };
  };

  /** The real API's clients: the key's, and the token's when one is given. */
  const remoteClients = (remote: NonNullable<SmokeOptions['remote']>) => {
    const client = createClient({ target: remote.target, apiKey: remote.apiKey, timeoutMs: opts.timeoutMs, connections: 2 });
    clients.push(client);
    if (remote.token === undefined) return { client, cleaner: undefined };
    const cleaner = createClient({ target: remote.target, bearerToken: remote.token, timeoutMs: opts.timeoutMs, connections: 1 });
    clients.push(cleaner);
    return { client, cleaner };
  };

  try {
    const main = opts.remote ? { ...remoteClients(opts.remote), emulator: undefined } : await startEmulator({});
    const [event] = [...generateEvents({ mode: 'test', count: 1, catalog: opts.catalog, seed: opts.seed })];
    let first: Promise<StatusFetch> | undefined;
    const context: SmokeContext = {
      opts,
      emulator: main.emulator,
      client: main.client,
      cleaner: main.cleaner,
      targetText: main.emulator ? `embedded emulator at ${main.emulator.url}` : main.client.url(''),
      payload: event!.value as { externalRequestId: string },
      firstStatus: () => (first ??= fetchStatus(main.client)),
      startEmulator,
    };
    return { context, close };
  } catch (e) {
    await close();
    throw e;
  }
}
