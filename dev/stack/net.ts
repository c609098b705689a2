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

/**
 * Thrown by a service start that found its port taken between the pick and the bind: another stack on the machine
 * (parallel test files) may bind a free port first.
 */
export class PortTakenError extends Error {
  override name = "PortTakenError";
}

/** A start that may meet a taken port is tried again this many times in all, on fresh ports each time. */
export const PORT_ATTEMPTS = 3;

/**
 * Runs `start` (attempt 1, 2, …; an attempt picks its own ports) until it does not throw PortTakenError, at most
 * PORT_ATTEMPTS times; any other error, or a port taken on the last attempt, is thrown.
 */
export async function retryOnPortTaken<T>(start: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await start(attempt);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
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
