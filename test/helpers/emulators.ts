/**
 * In-process emulators for a test file: `startEmulatorForTest()` starts one on 127.0.0.1 (a free
 * port) and every one started is closed after each test.
 */
import { afterEach } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';

let running: Emulator[] = [];
afterEach(async () => {
  await Promise.all(running.map((e) => e.close()));
  running = [];
});

export async function startEmulatorForTest(opts: EmulatorOptions = {}): Promise<Emulator> {
  const e = await startEmulator({ host: '127.0.0.1', port: 0, ...opts });
  running.push(e);
  return e;
}
