/**
 * The terminal side of a long-running command (demo, paper-live): one stop signal raised by SIGINT, SIGTERM or a
 * closed stdout/stderr (`| head`), and writers that never throw. Listening starts as soon as it is opened, so a Ctrl-C
 * during start-up still stops whatever has started, and a closed pipe stops cleanly instead of crashing with the
 * children left running.
 */
import type { RunIo } from "./runtime.ts";

export interface Terminal {
  signal: AbortSignal;
  io: RunIo;
  /** Removes the signal listeners. */
  close(): void;
}

const encoder = new TextEncoder();

function writeAll(stream: typeof Deno.stdout, text: string): void {
  const bytes = encoder.encode(text);
  for (let written = 0; written < bytes.length;) written += stream.writeSync(bytes.subarray(written));
}

export function openTerminal(): Terminal {
  const stop = new AbortController();
  const writeOrStop = (stream: typeof Deno.stdout, text: string) => {
    try {
      writeAll(stream, text);
    } catch {
      stop.abort();
    }
  };
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return {
    signal: stop.signal,
    io: { out: (text) => writeOrStop(Deno.stdout, text), err: (text) => writeOrStop(Deno.stderr, text) },
    close() {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    },
  };
}
