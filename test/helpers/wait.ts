/**
 * The one polling helper: waits until `condition` holds, checking every `everyMs`, and fails
 * with `what` when `deadlineMs` passes. The deadline is a bound against a hang, never an
 * assertion about speed: set it far above what a slow, busy machine needs.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, { deadlineMs = 60_000, everyMs = 20 } = {}): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`waited ${deadlineMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
