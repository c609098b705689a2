/** A long-running child process (PostgREST, a function) whose stdout and stderr go to a log file. */

export interface ServiceProcess {
  readonly pid: number;
  /** Set once the process has exited (for readiness waits and "is it down" checks). */
  readonly exitCode: number | undefined;
  readonly logPath: string;
  /** Sends the signal (if still running), waits for the exit and for the log to be flushed. Idempotent. */
  stop(signal?: Deno.Signal): Promise<void>;
}

export interface SpawnOptions {
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  logPath: string;
  /** Also called with every chunk the process prints (e.g. to mirror it to the terminal). */
  onOutput?: (chunk: Uint8Array) => void;
}

/**
 * Writes each chunk as soon as it arrives, then closes the file. (ReadableStream.pipeTo(file.writable) held the
 * bytes back until the process exited, so tests could not read a running function's log.)
 */
async function copyToFile(
  stream: ReadableStream<Uint8Array>,
  file: Deno.FsFile,
  onOutput?: (chunk: Uint8Array) => void,
): Promise<void> {
  try {
    for await (const chunk of stream) {
      onOutput?.(chunk);
      for (let written = 0; written < chunk.length;) written += await file.write(chunk.subarray(written));
    }
  } finally {
    file.close();
  }
}

/** How long stop() waits after the polite signal before SIGKILL. */
const STOP_GRACE_MS = 5_000;

export async function spawnService(program: string, options: SpawnOptions): Promise<ServiceProcess> {
  // Two append handles on one file: stdout and stderr interleave by chunk, which is all a log needs.
  const stdoutLog = await Deno.open(options.logPath, { create: true, append: true });
  const stderrLog = await Deno.open(options.logPath, { create: true, append: true });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args: options.args,
      env: options.env,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    stdoutLog.close();
    stderrLog.close();
    throw error;
  }
  // A broken log pipe is no reason to crash the stack: its error is kept for stop() to report instead.
  let logError: unknown;
  const flushed = Promise.all([
    copyToFile(child.stdout, stdoutLog, options.onOutput),
    copyToFile(child.stderr, stderrLog, options.onOutput),
  ])
    .catch((error) => {
      logError = error;
    });
  let exitCode: number | undefined;
  const exited = child.status.then((status) => {
    exitCode = status.code;
  });

  const send = (signal: Deno.Signal) => {
    if (exitCode !== undefined) return;
    try {
      child.kill(signal);
    } catch (error) {
      // The process may exit between the check and the kill; anything else is a real problem.
      if (!(error instanceof TypeError)) throw error;
    }
  };

  return {
    pid: child.pid,
    get exitCode() {
      return exitCode;
    },
    logPath: options.logPath,
    async stop(signal: Deno.Signal = "SIGTERM") {
      send(signal);
      // Bounded: a process that ignores the polite signal is killed after the grace period.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), STOP_GRACE_MS)),
      ]);
      clearTimeout(timer);
      if (timedOut) send("SIGKILL");
      await exited;
      await flushed;
      if (logError) throw new Error(`log capture to ${options.logPath} failed`, { cause: logError });
    },
  };
}
