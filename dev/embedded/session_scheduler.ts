/**
 * PGlite has exactly one Postgres session, but PostgREST, the functions, migrations and tests each open their own
 * connections. The scheduler lends the session to one client at a time: from that client's first message until the
 * backend says ReadyForQuery with status idle. So a transaction, or a Parse/Bind/Execute/Sync sequence, is never
 * interleaved with another client's messages (pglite-socket's own server queues single messages, and two clients
 * then clobber each other's unnamed portal: `portal "" does not exist`).
 */

import {
  buildMessage,
  closeStatementsMessages,
  queryMessage,
  ReadyForQueryScanner,
  rewriteStatementNames,
  type TransactionStatus,
} from "./wire_messages.ts";

/** The single database session, e.g. PGlite's execProtocolRawStream. Calls must not overlap (the adapter locks). */
export interface WireBackend {
  execute(message: Uint8Array, onData: (chunk: Uint8Array) => void): Promise<void>;
}

/** A client that kept the session past the idle limit while others waited (see ownerIdleTimeoutMs). */
export class SessionEvictedError extends Error {
  constructor(readonly clientId: number, readonly idleMs: number, readonly waiting: number) {
    super(
      `embedded Postgres: connection ${clientId} held the only session for ${idleMs} ms without sending anything ` +
        `(open transaction?) while ${waiting} other connection(s) waited; it was rolled back and closed`,
    );
    this.name = "SessionEvictedError";
  }
}

/** The client left or was evicted; its queued work is dropped. */
export class ClientGoneError extends Error {
  constructor(readonly clientId: number) {
    super(`embedded Postgres: connection ${clientId} is closed`);
    this.name = "ClientGoneError";
  }
}

export interface SchedulerOptions {
  backend: WireBackend;
  /**
   * How long an owner may sit idle (no message, no ReadyForQuery idle) while others wait before it is rolled back
   * and disconnected. Without it, a client that opens a transaction and then waits for another client deadlocks
   * both. Default 15 s.
   */
  ownerIdleTimeoutMs?: number;
  /** How often the idle rule is checked. Default 500 ms. */
  checkIntervalMs?: number;
  now?: () => number;
  /** Told when a client is evicted, so its connection can send the error and close. */
  onEvicted?: (error: SessionEvictedError) => void;
}

interface Waiter {
  clientId: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** CopyFail (ignored outside COPY), then Sync: ends whatever COPY or extended-protocol sequence the owner left open. */
const SYNC_AND_END_COPY = new Uint8Array([
  ...buildMessage("f", new TextEncoder().encode("client left\0")),
  ...buildMessage("S", new Uint8Array(0)),
]);

export class SessionScheduler {
  readonly #backend: WireBackend;
  readonly #ownerIdleTimeoutMs: number;
  readonly #now: () => number;
  readonly #onEvicted?: (error: SessionEvictedError) => void;
  #owner: number | undefined;
  #ownerExecuting = false;
  #ownerLastActive = 0;
  #waiters: Waiter[] = [];
  readonly #statements = new Map<number, Set<string>>();
  readonly #gone = new Set<number>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(options: SchedulerOptions) {
    this.#backend = options.backend;
    this.#ownerIdleTimeoutMs = options.ownerIdleTimeoutMs ?? 15_000;
    this.#now = options.now ?? Date.now;
    this.#onEvicted = options.onEvicted;
    this.#timer = setInterval(() => this.#evictIdleOwner(), options.checkIntervalMs ?? 500);
  }

  /** Prefix that keeps a client's prepared statement names apart from everyone else's. */
  static statementPrefix(clientId: number): string {
    return `c${clientId}_`;
  }

  /**
   * Runs one whole frontend message (or a startup packet) for a client, waiting for the session if another client
   * holds it, and streams the backend's answer to onData. Returns the last ReadyForQuery status, if any.
   */
  async execute(
    clientId: number,
    message: Uint8Array,
    onData: (chunk: Uint8Array) => void,
  ): Promise<TransactionStatus | undefined> {
    await this.#acquire(clientId);
    const { bytes, created, closed } = message[0] === 0
      ? { bytes: message, created: undefined, closed: undefined } // startup packet: untyped
      : rewriteStatementNames(message, SessionScheduler.statementPrefix(clientId));
    const scanner = new ReadyForQueryScanner();
    this.#ownerExecuting = true;
    try {
      await this.#backend.execute(bytes, (chunk) => {
        scanner.push(chunk);
        onData(chunk);
      });
    } finally {
      this.#ownerExecuting = false;
      this.#ownerLastActive = this.#now();
    }
    this.#track(clientId, created, closed);
    if (scanner.lastStatus === "I") this.#release(clientId);
    return scanner.lastStatus;
  }

  /** The client disconnected: drop its queued turns, end its transaction, free its statements. Idempotent. */
  async leave(clientId: number): Promise<void> {
    if (this.#gone.has(clientId)) return;
    this.#gone.add(clientId);
    for (const waiter of this.#waiters.filter((w) => w.clientId === clientId)) {
      waiter.reject(new ClientGoneError(clientId));
    }
    this.#waiters = this.#waiters.filter((w) => w.clientId !== clientId);
    const statements = this.#statements.get(clientId);
    if (this.#owner !== clientId && !statements?.size) return;
    await this.#acquire(clientId, true);
    try {
      await this.#cleanUp(clientId);
    } finally {
      this.#release(clientId);
    }
  }

  /** Stops the idle check. Clients still connected are the server's business. */
  close(): void {
    clearInterval(this.#timer);
  }

  get waitingCount(): number {
    return this.#waiters.length;
  }

  async #cleanUp(clientId: number): Promise<void> {
    const statusScanner = new ReadyForQueryScanner();
    await this.#backend.execute(SYNC_AND_END_COPY, (chunk) => statusScanner.push(chunk));
    if (statusScanner.lastStatus !== "I") await this.#backend.execute(queryMessage("ROLLBACK"), () => {});
    const statements = this.#statements.get(clientId);
    if (statements?.size) await this.#backend.execute(closeStatementsMessages(statements), () => {});
    this.#statements.delete(clientId);
  }

  #track(clientId: number, created: string | undefined, closed: string | undefined): void {
    if (!created && !closed) return;
    const names = this.#statements.get(clientId) ?? new Set<string>();
    if (created) names.add(created);
    if (closed) names.delete(closed);
    this.#statements.set(clientId, names);
  }

  #acquire(clientId: number, leaving = false): Promise<void> {
    if (this.#gone.has(clientId) && !leaving) return Promise.reject(new ClientGoneError(clientId));
    if (this.#owner === undefined || this.#owner === clientId) {
      this.#take(clientId);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#waiters.push({ clientId, resolve, reject }));
  }

  #take(clientId: number): void {
    if (this.#owner !== clientId) this.#ownerLastActive = this.#now();
    this.#owner = clientId;
  }

  #release(clientId: number): void {
    if (this.#owner !== clientId) return;
    this.#owner = undefined;
    const next = this.#waiters.shift();
    if (next) {
      this.#take(next.clientId);
      next.resolve();
    }
  }

  #evictIdleOwner(): void {
    const owner = this.#owner;
    if (owner === undefined || this.#ownerExecuting || this.#waiters.length === 0) return;
    const idleMs = this.#now() - this.#ownerLastActive;
    if (idleMs < this.#ownerIdleTimeoutMs) return;
    const error = new SessionEvictedError(owner, idleMs, this.#waiters.length);
    this.#gone.add(owner);
    for (const waiter of this.#waiters.filter((w) => w.clientId === owner)) waiter.reject(error);
    this.#waiters = this.#waiters.filter((w) => w.clientId !== owner);
    this.#ownerExecuting = true; // no second eviction while the rollback runs
    this.#cleanUp(owner)
      .catch(() => {}) // the session is handed on regardless; the backend reports its own failure to the next client
      .finally(() => {
        this.#ownerExecuting = false;
        this.#release(owner);
      });
    this.#onEvicted?.(error);
  }
}
