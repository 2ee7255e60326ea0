/**
 * One emulator per store (docs/emulate.md, "The durable store"): `--store FILE` is locked by
 * `FILE.lock`, created exclusively (O_EXCL) and holding who owns it. Two emulators appending
 * to one file would each dedupe against their own memory (rows stored twice) and rewrite it
 * under each other after a cleanup (acknowledged rows lost), so a second one refuses to start.
 *
 * A lock whose owner is gone (a `kill -9`, a crash) is stale and taken over: its process no
 * longer exists on this host, or the pid now belongs to a younger process (Linux: the start
 * time in /proc/PID/stat differs from the one recorded). A lock written on another host
 * cannot be checked from here, so it is honoured and the message says how to remove it.
 */
import { readFileSync } from 'node:fs';
import { link, open, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { printable } from './printable.js';

interface LockOwner {
  pid: number;
  host: string;
  /** The owner's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  startTicks?: number;
  /** When it took the lock (ISO), for the message. */
  since: string;
}

/** The store is locked by a live emulator (or one on another host): the start is refused. */
export class StoreLocked extends Error {
  readonly code = 'ELOCKED';
  readonly syscall = 'open';
  /** What to do about it. */
  readonly hint: string;
  constructor(
    readonly path: string,
    readonly lockPath: string,
    owner: LockOwner | undefined,
  ) {
    super(
      owner
        ? `store ${printable(path)} is in use by another emulator (pid ${owner.pid}${owner.host !== hostname() ? ` on host ${printable(owner.host)}` : ''}, since ${printable(owner.since)})`
        : `store ${printable(path)} is locked by ${printable(lockPath)}, which no emulator wrote`,
    );
    const lock = printable(lockPath);
    this.hint = !owner
      ? `delete ${lock} if no emulator uses the store`
      : owner.host !== hostname()
        ? `a lock from another host cannot be checked from here: if no emulator runs there on this store any more, delete ${lock}`
        : 'stop that emulator first, or give this one another --store';
  }
}

/** A taken lock: `release()` removes it (once). */
export interface StoreLock {
  readonly path: string;
  /** The stale lock that was taken over, if any. */
  readonly tookOver: { pid: number; since: string } | undefined;
  release(): Promise<void>;
}

/** Field 22 of /proc/PID/stat: when the process started (clock ticks since boot); undefined off Linux. */
function startTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** Lock files this process holds (two emulators in one process must not share a store either). */
const heldHere = new Set<string>();

function isAlive(owner: LockOwner, lockPath: string): boolean {
  if (owner.host !== hostname()) return true; // cannot be checked from here
  // Our own pid: held by another emulator in this process, or left by an earlier process that had our pid.
  if (owner.pid === process.pid) return heldHere.has(lockPath);
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: the pid exists but belongs to another user.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.startTicks === undefined) return true;
  const now = startTicksOf(owner.pid);
  return now === undefined || now === owner.startTicks;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && Number.isSafeInteger(o.pid) && o.pid > 0 && typeof o.host === 'string') {
      return {
        pid: o.pid,
        host: o.host,
        since: typeof o.since === 'string' ? o.since : '?',
        startTicks: typeof o.startTicks === 'number' ? o.startTicks : undefined,
      };
    }
  } catch {
    /* not ours, or cut short: see below */
  }
  return undefined;
}

/**
 * Create the lock file with its content in one step: written beside it, then hard-linked to
 * its name (a link fails if the name exists), so no other process ever sees it empty. Where
 * the file system has no hard links, an exclusive create and a write.
 */
async function createLock(lockPath: string, content: string): Promise<void> {
  const tmp = `${lockPath}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  try {
    await link(tmp, lockPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw e;
    const handle = await open(lockPath, 'wx');
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/**
 * Take the lock of the store at `path`, or reject with StoreLocked. A stale lock is removed
 * (after reading it once more: it must still be the one judged stale) and the create tried
 * again; two emulators racing for the same stale lock meet at that create.
 */
export async function lockStore(path: string): Promise<StoreLock> {
  const lockPath = resolve(`${path}.lock`);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), startTicks: startTicksOf(process.pid) };
  let tookOver: StoreLock['tookOver'];
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await createLock(lockPath, JSON.stringify(me) + '\n');
      heldHere.add(lockPath);
      let released = false;
      return {
        path: lockPath,
        tookOver,
        release: async () => {
          if (released) return;
          released = true;
          heldHere.delete(lockPath);
          await unlink(lockPath).catch(() => {});
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const text = await readLock(lockPath);
    if (text === undefined) continue; // released meanwhile: try again
    const owner = parseOwner(text);
    if (!owner || isAlive(owner, lockPath)) throw new StoreLocked(path, lockPath, owner);
    if ((await readLock(lockPath)) !== text) continue; // another emulator took it over first
    tookOver = { pid: owner.pid, since: owner.since };
    await unlink(lockPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  throw new StoreLocked(path, lockPath, undefined);
}

async function readLock(lockPath: string): Promise<string | undefined> {
  try {
    return await readFile(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
