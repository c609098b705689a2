/**
 * The few pieces of the Postgres wire protocol (v3) the embedded server has to understand itself: framing what a
 * client sends, spotting ReadyForQuery in what the backend answers, renaming prepared statements per client, and
 * building an ErrorResponse. Everything else passes through to PGlite untouched.
 */

import { WireProtocolError } from "./errors.ts";

const SSL_REQUEST_CODE = 80877103;
const GSSENC_REQUEST_CODE = 80877104;
const CANCEL_REQUEST_CODE = 80877102;
/** Protocol major version 3 (3.0 = 196608; PG 18 clients may ask for 3.2, which PGlite negotiates itself). */
const PROTOCOL_MAJOR_3 = 3;
/** Postgres refuses messages above 1 GB; so do we, so garbage cannot make us buffer without bound. */
const MAX_MESSAGE_BYTES = 0x3fffffff;

export type FrontendFrame =
  | { kind: "ssl-request" }
  | { kind: "gssenc-request" }
  | { kind: "cancel-request" }
  | { kind: "startup"; bytes: Uint8Array }
  | { kind: "message"; type: string; bytes: Uint8Array };

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function int32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(offset);
}

/**
 * Splits a client's byte stream into whole frames. Before the startup packet, frames are untyped (length + code);
 * after it, every message is a type byte + length.
 */
export class FrontendFramer {
  #buffer: Uint8Array = new Uint8Array(0);
  #startupDone = false;

  push(chunk: Uint8Array): FrontendFrame[] {
    this.#buffer = concat(this.#buffer, chunk);
    const frames: FrontendFrame[] = [];
    while (true) {
      const frame = this.#startupDone ? this.#nextMessage() : this.#nextUntyped();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  #take(length: number): Uint8Array {
    const bytes = this.#buffer.slice(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return bytes;
  }

  #nextUntyped(): FrontendFrame | undefined {
    if (this.#buffer.length < 8) return undefined;
    const length = int32(this.#buffer, 0);
    if (length < 8 || length > 10_000) throw new WireProtocolError(`startup packet length ${length} is invalid`);
    if (this.#buffer.length < length) return undefined;
    const code = int32(this.#buffer, 4);
    const bytes = this.#take(length);
    if (code === SSL_REQUEST_CODE) return { kind: "ssl-request" };
    if (code === GSSENC_REQUEST_CODE) return { kind: "gssenc-request" };
    if (code === CANCEL_REQUEST_CODE) return { kind: "cancel-request" };
    if (code >>> 16 !== PROTOCOL_MAJOR_3) throw new WireProtocolError(`unsupported protocol version ${code >>> 16}`);
    this.#startupDone = true;
    return { kind: "startup", bytes };
  }

  #nextMessage(): FrontendFrame | undefined {
    if (this.#buffer.length < 5) return undefined;
    const length = int32(this.#buffer, 1);
    if (length < 4 || length > MAX_MESSAGE_BYTES) throw new WireProtocolError(`message length ${length} is invalid`);
    if (this.#buffer.length < 1 + length) return undefined;
    const type = String.fromCharCode(this.#buffer[0]);
    return { kind: "message", type, bytes: this.#take(1 + length) };
  }
}

/** Transaction status of a ReadyForQuery: idle, in a transaction block, or in a failed one. */
export type TransactionStatus = "I" | "T" | "E";

/**
 * Follows the backend's answer (which may arrive in several chunks) and remembers the status of the last
 * ReadyForQuery in it. One instance per execution.
 */
export class ReadyForQueryScanner {
  #header: number[] = [];
  #bodyLeft = 0;
  #currentType = 0;
  #lastStatus: TransactionStatus | undefined;

  get lastStatus(): TransactionStatus | undefined {
    return this.#lastStatus;
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#bodyLeft > 0) {
        // ReadyForQuery's one-byte body is the status; every other body is skipped.
        if (this.#currentType === 0x5a) this.#lastStatus = String.fromCharCode(chunk[i]) as TransactionStatus;
        const step = Math.min(this.#bodyLeft, chunk.length - i);
        this.#bodyLeft -= step;
        i += step;
        continue;
      }
      this.#header.push(chunk[i++]);
      if (this.#header.length === 5) {
        this.#currentType = this.#header[0];
        this.#bodyLeft = int32(Uint8Array.from(this.#header), 1) - 4;
        this.#header = [];
      }
    }
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function readCString(bytes: Uint8Array, offset: number): { value: string; end: number } {
  const end = bytes.indexOf(0, offset);
  if (end < 0) throw new WireProtocolError("unterminated string in message");
  return { value: decoder.decode(bytes.subarray(offset, end)), end: end + 1 };
}

/** type byte + length + body, with the length filled in. */
export function buildMessage(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

function replaceRange(bytes: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array {
  const body = concat(concat(bytes.subarray(5, start), insert), bytes.subarray(end));
  return buildMessage(String.fromCharCode(bytes[0]), body);
}

export interface StatementRewrite {
  bytes: Uint8Array;
  /** Rewritten name of a statement this message creates (Parse) or closes (Close), for per-client cleanup. */
  created?: string;
  closed?: string;
}

/**
 * All clients share PGlite's single session, so two clients naming a prepared statement "1" (PostgREST's hasql
 * counts from 1 on every connection) would collide. Named statements get a per-client prefix in Parse, Bind,
 * Describe and Close; the unnamed statement and portals are left alone (a client owns the session from its first
 * message to its ReadyForQuery, and those do not outlive that).
 */
export function rewriteStatementNames(bytes: Uint8Array, prefix: string): StatementRewrite {
  const type = String.fromCharCode(bytes[0]);
  const rename = (start: number) => {
    const { value, end } = readCString(bytes, start);
    if (value === "") return undefined;
    const name = prefix + value;
    return { name, bytes: replaceRange(bytes, start, end, encoder.encode(name + "\0")) };
  };
  if (type === "P") {
    const renamed = rename(5);
    return renamed ? { bytes: renamed.bytes, created: renamed.name } : { bytes };
  }
  if (type === "B") {
    const portal = readCString(bytes, 5);
    return { bytes: rename(portal.end)?.bytes ?? bytes };
  }
  if ((type === "D" || type === "C") && bytes[5] === "S".charCodeAt(0)) {
    const renamed = rename(6);
    if (!renamed) return { bytes };
    return type === "C" ? { bytes: renamed.bytes, closed: renamed.name } : { bytes: renamed.bytes };
  }
  return { bytes };
}

/** Close (statement) + Sync for the given statement names: how a leaving client's statements are freed. */
export function closeStatementsMessages(names: Iterable<string>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const name of names) parts.push(buildMessage("C", encoder.encode(`S${name}\0`)));
  parts.push(buildMessage("S", new Uint8Array(0)));
  return parts.reduce(concat, new Uint8Array(0));
}

/** A simple Query message. */
export function queryMessage(sql: string): Uint8Array {
  return buildMessage("Q", encoder.encode(sql + "\0"));
}

/** An ErrorResponse (severity FATAL or ERROR) with SQLSTATE and message, as Postgres itself sends them. */
export function errorResponse(severity: "ERROR" | "FATAL", sqlState: string, message: string): Uint8Array {
  const fields = `S${severity}\0V${severity}\0C${sqlState}\0M${message}\0\0`;
  return buildMessage("E", encoder.encode(fields));
}

/** The single byte that answers an SSLRequest or GSSENCRequest: "not supported, go on in plain text". */
export const ENCRYPTION_REFUSED = new Uint8Array(["N".charCodeAt(0)]);
