/** Errors raised by the embedded Postgres. Each carries what a caller needs to explain or react to it. */

/** Another live process already serves this data folder (PGlite is single-process: two would corrupt it). */
export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`embedded Postgres data folder ${dataDir} is already in use by process ${pid}`);
    this.name = "DataDirInUseError";
  }
}

/** The server process exited or did not report readiness within its bounded wait. */
export class EmbeddedStartError extends Error {
  constructor(readonly step: string, readonly detail: string, readonly logPath: string) {
    super(`embedded Postgres failed at "${step}": ${detail} (log: ${logPath})`);
    this.name = "EmbeddedStartError";
  }
}

/** A client sent bytes that are not the Postgres wire protocol (v3) we understand. */
export class WireProtocolError extends Error {
  constructor(readonly detail: string) {
    super(`wire protocol: ${detail}`);
    this.name = "WireProtocolError";
  }
}
