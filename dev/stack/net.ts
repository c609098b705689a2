/** Loopback helpers: free ports and bounded readiness waits. */

import { NotReadyError } from "./errors.ts";

export const LOOPBACK = "127.0.0.1";

/** A port that was free a moment ago (the OS picks it); the caller binds it right away. */
export function freePort(): number {
  return freePorts(1)[0];
}

/** `count` distinct ports that were free a moment ago: all are held at once while the OS picks them. */
export function freePorts(count: number): number[] {
  const listeners = Array.from({ length: count }, () => Deno.listen({ hostname: LOOPBACK, port: 0 }));
  const ports = listeners.map((listener) => (listener.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  return ports;
}

export interface WaitOptions {
  /** What is being waited for, used in the error message. */
  service: string;
  /** Upper bound for the whole wait. Default 30 s. */
  timeoutMs?: number;
  /** Pause between attempts. Default 50 ms. */
  intervalMs?: number;
  /** Called between attempts; a string return aborts the wait with that reason (e.g. "process exited"). */
  abortReason?: () => string | undefined;
}

/** Polls `probe` until it returns true, bounded in time and in attempts. */
export async function waitUntil(probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  const started = Date.now();
  let lastError = "";
  for (let attempt = 0; attempt < maxAttempts && Date.now() - started <= timeoutMs; attempt++) {
    const aborted = options.abortReason?.();
    if (aborted) throw new NotReadyError(options.service, Date.now() - started, aborted);
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new NotReadyError(options.service, Date.now() - started, lastError);
}

/** True when something accepts TCP connections on the loopback port. */
export async function acceptsConnections(port: number): Promise<boolean> {
  try {
    const connection = await Deno.connect({ hostname: LOOPBACK, port });
    connection.close();
    return true;
  } catch {
    return false;
  }
}
