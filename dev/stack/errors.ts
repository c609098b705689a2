/** Errors raised by the local stack. Each carries the data a caller needs to explain or react to it. */

/** A program the stack needs is not installed where we look for it. */
export class MissingBinaryError extends Error {
  constructor(readonly binary: string, readonly path: string, readonly providedBy: string) {
    super(`${binary} not found at ${path}: install ${providedBy}`);
    this.name = "MissingBinaryError";
  }
}

/** A child command (initdb, psql, supabase db push, pg_prove …) exited with a non-zero code. */
export class CommandFailedError extends Error {
  constructor(readonly command: string, readonly code: number, readonly output: string) {
    super(`${command} exited with code ${code}${output ? `:\n${output.trimEnd()}` : ""}`);
    this.name = "CommandFailedError";
  }
}

/** A service did not become ready within its bounded wait. */
export class NotReadyError extends Error {
  constructor(readonly service: string, readonly waitedMs: number, readonly detail: string) {
    super(`${service} was not ready after ${waitedMs} ms${detail ? `: ${detail}` : ""}`);
    this.name = "NotReadyError";
  }
}

/** One step of startStack failed; everything started before it has been stopped again. */
export class StackStartError extends Error {
  constructor(readonly step: string, cause: unknown) {
    super(`local stack failed at step "${step}": ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "StackStartError";
  }
}
