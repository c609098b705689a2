/**
 * Runs `steps` while `burst` (a burst invoked and not yet awaited) goes on. When a step throws before it has awaited
 * the burst, the burst is waited for before the error goes on: otherwise it would run into the next test step, whose
 * reset and assertions would meet its orders and writes.
 */
export async function whileBurstRuns<T>(burst: Promise<unknown>, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    await burst.catch(() => {});
    throw error;
  }
}
