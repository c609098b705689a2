/**
 * A Postgres wire-protocol listener in front of one WireBackend (PGlite): frames each client's bytes, answers the
 * encryption requests itself (plain text only, loopback only), and hands every message to the SessionScheduler.
 * There is no authentication: PGlite accepts any user and password, and every client is the superuser `postgres`.
 */

import { WireProtocolError } from "./errors.ts";
import { ClientGoneError, SessionEvictedError, SessionScheduler, type WireBackend } from "./session_scheduler.ts";
import { ENCRYPTION_REFUSED, errorResponse, FrontendFramer } from "./wire_messages.ts";

export interface WireServerOptions {
  backend: WireBackend;
  /** Default 127.0.0.1: the server has no authentication, so it must not listen beyond loopback. */
  hostname?: string;
  /** 0 (default) lets the OS pick. */
  port?: number;
  /** Connections beyond this are refused with SQLSTATE 53300. Default 100. */
  maxConnections?: number;
  /** See SchedulerOptions.ownerIdleTimeoutMs. */
  ownerIdleTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface WireServer {
  hostname: string;
  port: number;
  connectionCount(): number;
  /** Stops listening, closes every connection (rolling back what they left open). Idempotent. */
  close(): Promise<void>;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) written += await conn.write(bytes.subarray(written));
}

/** What reading a socket throws when it was closed under us (by stop() or an eviction): not worth a log line. */
function isClosedConnection(error: unknown): boolean {
  return error instanceof ClientGoneError || error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted || error instanceof Deno.errors.ConnectionReset;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    // Already closed by the peer or by stop(): nothing left to release.
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

export function serveWire(options: WireServerOptions): WireServer {
  const log = options.log ?? (() => {});
  const hostname = options.hostname ?? "127.0.0.1";
  const maxConnections = options.maxConnections ?? 100;
  const connections = new Map<number, Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  let nextClientId = 1;

  const scheduler = new SessionScheduler({
    backend: options.backend,
    ownerIdleTimeoutMs: options.ownerIdleTimeoutMs,
    onEvicted(error: SessionEvictedError) {
      log(error.message);
      const conn = connections.get(error.clientId);
      if (!conn) return;
      writeAll(conn, errorResponse("FATAL", "25P03", error.message))
        .catch(() => {})
        .finally(() => closeQuietly(conn));
    },
  });

  async function handle(conn: Deno.Conn, clientId: number): Promise<void> {
    const framer = new FrontendFramer();
    // The scheduler streams answers synchronously; writes are chained so they reach the socket in order.
    let writing: Promise<void> = Promise.resolve();
    const send = (bytes: Uint8Array) => {
      const copy = bytes.slice();
      writing = writing.then(() => writeAll(conn, copy));
    };
    try {
      for await (const chunk of conn.readable) {
        for (const frame of framer.push(chunk)) {
          if (frame.kind === "ssl-request" || frame.kind === "gssenc-request") {
            send(ENCRYPTION_REFUSED);
          } else if (frame.kind === "cancel-request") {
            return; // PGlite runs one statement at a time in-process: there is nothing to signal.
          } else if (frame.kind === "message" && frame.type === "X") {
            return; // Terminate
          } else {
            await scheduler.execute(clientId, frame.bytes, send);
          }
          await writing;
        }
      }
    } catch (error) {
      if (error instanceof WireProtocolError) {
        send(errorResponse("FATAL", "08P01", error.message));
        await writing.catch(() => {});
      } else if (!isClosedConnection(error)) {
        log(`connection ${clientId}: ${error instanceof Error ? error.stack ?? error.message : error}`);
      }
    } finally {
      connections.delete(clientId);
      await scheduler.leave(clientId).catch((error) => log(`connection ${clientId} cleanup: ${error}`));
      await writing.catch(() => {});
      closeQuietly(conn);
    }
  }

  const listener = Deno.listen({ hostname, port: options.port ?? 0 });
  const accepting = (async () => {
    for await (const conn of listener) {
      if (connections.size >= maxConnections) {
        const message = `embedded Postgres: too many connections (limit ${maxConnections})`;
        writeAll(conn, errorResponse("FATAL", "53300", message)).catch(() => {}).finally(() => closeQuietly(conn));
        continue;
      }
      // Answers go out in many small writes; Nagle's algorithm would hold each back for a delayed ACK.
      conn.setNoDelay(true);
      const clientId = nextClientId++;
      connections.set(clientId, conn);
      const handler = handle(conn, clientId);
      handlers.add(handler);
      handler.finally(() => handlers.delete(handler));
    }
  })().catch((error) => {
    if (!(error instanceof Deno.errors.BadResource)) log(`listener: ${error}`);
  });

  let closing: Promise<void> | undefined;
  return {
    hostname,
    port: (listener.addr as Deno.NetAddr).port,
    connectionCount: () => connections.size,
    close() {
      closing ??= (async () => {
        listener.close();
        await accepting;
        for (const conn of connections.values()) closeQuietly(conn);
        await Promise.allSettled([...handlers]);
        scheduler.close();
      })();
      return closing;
    },
  };
}
