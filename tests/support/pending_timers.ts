/**
 * Counts the timers started and not yet fired or cleared, by wrapping the global setTimeout / clearTimeout until
 * `restore()`; an `AbortSignal.timeout()` counts as a timer that is never cleared (it cannot be). Deno's test
 * sanitizer does not report a pending timer here, so tests that must prove a wait or a request leaves none behind (a
 * timer that fires later wakes the process for nothing) count them with this.
 */
export function trackPendingTimers() {
  const pending = new Set<unknown>();
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  const realSignalTimeout = AbortSignal.timeout;
  AbortSignal.timeout = (ms: number) => {
    pending.add(Symbol("AbortSignal.timeout"));
    return realSignalTimeout.call(AbortSignal, ms);
  };
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    const handle = realSet(() => {
      pending.delete(handle);
      fn();
    }, ms);
    pending.add(handle);
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle?: number) => {
    pending.delete(handle);
    realClear(handle);
  }) as typeof clearTimeout;
  return {
    pending: () => pending.size,
    restore: () => {
      Object.assign(globalThis, { setTimeout: realSet, clearTimeout: realClear });
      AbortSignal.timeout = realSignalTimeout;
    },
  };
}
