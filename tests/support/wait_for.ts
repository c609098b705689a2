import assert from "node:assert/strict";

/**
 * Polls `done` every `everyMs` up to `limit` times (bounded in count, so in time), then fails naming `what`. Tests
 * wait on conditions, never on a fixed delay.
 */
export async function waitFor(
  what: string,
  done: () => boolean | Promise<boolean>,
  limit = 400,
  everyMs = 20,
): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  assert.ok(await done(), `timed out waiting for ${what}`);
}
