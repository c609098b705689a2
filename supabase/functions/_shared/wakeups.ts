/**
 * Callers waiting for something to happen (a book top, an order update), each with a timeout.
 *
 * A wait that several sources can end holds one timer for all of them, and removes it (and itself from every source)
 * whichever comes first. A timer left behind by a finished wait would still fire later and wake the process from its
 * sleep for nothing, which costs more CPU than the round the wait was for.
 */
export class Wakeups {
  readonly #waiters = new Set<() => void>();

  /** Wakes every current waiter (each once); waiters added meanwhile wait for the next call. */
  wakeAll(): void {
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** How many waits are pending (tests). */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Registers `wake` for the next wakeAll(); the returned function removes it. */
  add(wake: () => void): () => void {
    this.#waiters.add(wake);
    return () => this.#waiters.delete(wake);
  }
}

/**
 * Resolves true when any of `sources` wakes, false after `ms`. One timer, cleared on a wake; the wait is removed from
 * every source when it ends.
 */
export function waitForAny(sources: readonly Wakeups[], ms: number): Promise<boolean> {
  if (ms <= 0 || sources.length === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const removals: (() => void)[] = [];
    const end = (woke: boolean) => {
      clearTimeout(timer);
      for (const remove of removals) remove();
      resolve(woke);
    };
    const timer = setTimeout(() => end(false), ms);
    const wake = () => end(true);
    for (const source of sources) removals.push(source.add(wake));
  });
}
