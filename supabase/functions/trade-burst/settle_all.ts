/**
 * Waits for every one of a tick's concurrent sends (none is left in flight), then throws the first failure: a
 * failure of one symbol's entry must not leave another's half-recorded while the burst unwinds.
 */
export async function settleAll(work: readonly Promise<unknown>[]): Promise<void> {
  valuesOrFirstFailure(await Promise.allSettled(work));
}

/** settleAll over `fn` of each item: every result, in the items' order, once all have settled. */
export async function settleEach<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  return valuesOrFirstFailure(await Promise.allSettled(items.map((item) => fn(item))));
}

function valuesOrFirstFailure<R>(results: PromiseSettledResult<R>[]): R[] {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<R>).value);
}
