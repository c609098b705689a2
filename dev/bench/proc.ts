/**
 * What Linux says about a process: CPU time (utime + stime from /proc/<pid>/stat, all threads, including exited ones)
 * and peak resident memory (VmHWM from /proc/<pid>/status). Parsers are pure; readers take the pid.
 */

/** Clock ticks per second for /proc times. 100 on every mainstream Linux build (USER_HZ); `getconf CLK_TCK` agrees. */
export const USER_HZ = 100;

export class ProcParseError extends Error {
  override name = "ProcParseError";
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
  }
}

/**
 * utime + stime in milliseconds from the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and
 * may contain spaces, so fields are counted after the last ")": utime and stime are fields 14 and 15.
 */
export function parseCpuMsFromStat(text: string, hz = USER_HZ): number {
  const close = text.lastIndexOf(")");
  if (close < 0) throw new ProcParseError("stat", "no ')' after the command name");
  // After ")" come field 3 (state) onwards: utime is field 14, i.e. index 11 of this list.
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) {
    throw new ProcParseError("stat", `utime/stime are not integers: ${rest[11]} ${rest[12]}`);
  }
  return ((utime + stime) * 1000) / hz;
}

/** A `Vm…:   1234 kB` line of /proc/<pid>/status, in kB. */
export function parseStatusKb(text: string, field: string): number {
  const match = text.match(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m"));
  if (!match) throw new ProcParseError("status", `no ${field} line`);
  return Number(match[1]);
}

/** CPU milliseconds the process has used so far (user + system, every thread). */
export async function readCpuMs(pid: number): Promise<number> {
  return parseCpuMsFromStat(await Deno.readTextFile(`/proc/${pid}/stat`));
}

/**
 * CPU milliseconds of one thread (default: the main thread, whose id is the pid). `deno run` runs the JS isolate and
 * its event loop on the main thread; V8's GC helpers and Deno's blocking-pool threads are other threads. So this is
 * the closest /proc figure to "the isolate's CPU", and readCpuMs (every thread) an upper bound.
 */
export async function readThreadCpuMs(pid: number, tid = pid): Promise<number> {
  return parseCpuMsFromStat(await Deno.readTextFile(`/proc/${pid}/task/${tid}/stat`));
}

/** Peak resident set size so far (VmHWM), in MB. */
export async function readPeakRssMb(pid: number): Promise<number> {
  return parseStatusKb(await Deno.readTextFile(`/proc/${pid}/status`), "VmHWM") / 1024;
}
