/**
 * Waits for every one of a tick's concurrent sends (none is left in flight), then throws the first failure: a
 * failure of one symbol's entry must not leave another's half-recorded while the burst unwinds.
 */
export async function settleAll(work: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
