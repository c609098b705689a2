/**
 * The socket under one of a burst's streams (book tops, order updates): opens it, sends what a new socket starts with,
 * watches it for quiet (QuietWatch: a probe at half `stallMs`, a stall at `stallMs`), and replaces it when it drops,
 * stalls or its owner finds it faulty (garbage, a refusal). Replacements are bounded (`maxReconnects`) and back off;
 * after the last one the socket stays down and the burst polls over REST. What the stream means by its messages is
 * its owner's: this class only hands them over, and says when what the owner knew from a socket is gone.
 */
import { QuietWatch } from "./quiet_watch.ts";

/** The counters a socket keeps in its owner's stats. */
export interface SocketStats {
  messages: number;
  drops: number;
  stalls: number;
  reconnects: number;
  /** the last reason a socket was replaced */
  last_fault: string | null;
}

/** Where a stream connects and how patient it is: the part of a stream's options its socket takes. */
export interface SocketSettings {
  url: string;
  /** No message for this long: the socket is replaced. Default 5 s. */
  stallMs?: number;
  /** Default 5. */
  maxReconnects?: number;
  /** Monotonic clock for quiet periods; performance.now by default. */
  nowMs?: () => number;
  /** Opens a socket (tests may wrap it); the global WebSocket by default. */
  connect?: (url: string) => WebSocket;
}

/** The socket settings out of a stream's options (which hold more). */
export function socketSettings({ url, stallMs, maxReconnects, nowMs, connect }: SocketSettings): SocketSettings {
  return { url, stallMs, maxReconnects, nowMs, connect };
}

export interface ReplacedSocketOptions extends SocketSettings {
  /** The owner's stats, where the socket's counters go. */
  stats: SocketStats;
  /** What asks the venue for an answer on a quiet socket. */
  probe: () => string;
  /** What a new socket sends first (subscriptions, a login); sent only if that socket is still current and open. */
  opening: () => readonly string[] | Promise<readonly string[]>;
  /** A message on the current socket (`reply` sends on that same socket). */
  message: (text: string, reply: (text: string) => void) => void;
  /** The socket was given up: whatever the owner knew from it no longer holds. */
  lost: () => void;
  /** False once the venue refused us: a replacement would be refused too. Default: always true. */
  mayReplace?: () => boolean;
}

/** Replacements back off 0.25, 0.5, 1, 2, 2 s: five span a few seconds of a venue's outage, then the burst polls. */
function backoffMs(reconnects: number): number {
  return Math.min(2_000, 250 * 2 ** reconnects);
}

export class ReplacedSocket {
  #socket: WebSocket | undefined;
  #open = false;
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  readonly #quiet: QuietWatch;
  readonly #maxReconnects: number;

  constructor(private readonly options: ReplacedSocketOptions) {
    this.#maxReconnects = options.maxReconnects ?? 5;
    this.#quiet = new QuietWatch({
      stallMs: options.stallMs ?? 5_000,
      nowMs: options.nowMs ?? (() => performance.now()),
      listening: () => this.#open && this.#socket !== undefined,
      probe: () => this.#socket?.send(options.probe()),
      stalled: (quietMs) => {
        options.stats.stalls += 1;
        this.replace(`stalled (${Math.round(quietMs)} ms without a message)`);
      },
    });
  }

  /** Open, and heard from within `stallMs`. */
  get live(): boolean {
    return this.#open && !this.#quiet.stale;
  }

  /** close() was called: no socket will be opened again. */
  get closed(): boolean {
    return this.#closed;
  }

  start(): void {
    if (this.#socket || this.#closed) return;
    this.#connect();
    this.#quiet.start();
  }

  /** Drops the current socket and opens another, unless closed, refused or the budget of replacements is spent. */
  replace(reason: string): void {
    const { stats } = this.options;
    stats.last_fault = reason;
    const old = this.#socket;
    this.#socket = undefined;
    this.#open = false;
    this.options.lost();
    if (old && old.readyState !== WebSocket.CLOSED) {
      try {
        old.close();
      } catch {
        // already closing
      }
    }
    if (this.#closed || !(this.options.mayReplace?.() ?? true) || stats.reconnects >= this.#maxReconnects) return;
    const wait = backoffMs(stats.reconnects);
    stats.reconnects += 1;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#closed) this.#connect();
    }, wait);
  }

  /** Closes for good; resolves once the peer answered the close, or after 500 ms. */
  close(): Promise<void> {
    this.#closed = true;
    this.#quiet.stop();
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#open = false;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      // Bounded: a peer that never answers the close does not hold the burst.
      const timer = setTimeout(done, 500);
      socket.addEventListener("close", done);
      socket.close();
    });
  }

  #connect(): void {
    const { connect, url, stats } = this.options;
    const socket = (connect ?? ((to) => new WebSocket(to)))(url);
    this.#socket = socket;
    const reply = (text: string) => socket.send(text);
    socket.onopen = async () => {
      if (socket !== this.#socket) return;
      this.#open = true;
      this.#quiet.heard();
      const first = await this.options.opening();
      if (socket !== this.#socket || socket.readyState !== WebSocket.OPEN) return;
      for (const m of first) socket.send(m);
    };
    socket.onmessage = (event) => {
      if (socket !== this.#socket) return;
      stats.messages += 1;
      this.#quiet.heard();
      this.options.message(typeof event.data === "string" ? event.data : "", reply);
    };
    socket.onclose = () => {
      if (socket !== this.#socket || this.#closed) return;
      stats.drops += 1;
      this.replace("dropped");
    };
    // An error is followed by close; the close replaces the socket.
    socket.onerror = () => {};
  }
}
