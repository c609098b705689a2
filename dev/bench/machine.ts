/** The machine a bench ran on: CPU model, cores, memory, OS, Deno version, date. Parsers are pure. */

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  os: string;
  deno: string;
  v8: string;
  date: string;
}

/** First `model name` of /proc/cpuinfo, or "unknown". */
export function parseCpuModel(cpuinfo: string): string {
  return cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ?? "unknown";
}

/** MemTotal of /proc/meminfo in GB (1 decimal), or null. */
export function parseMemTotalGb(meminfo: string): number | null {
  const kb = meminfo.match(/^MemTotal:\s+(\d+)\s+kB/m)?.[1];
  return kb === undefined ? null : Math.round((Number(kb) / 1024 / 1024) * 10) / 10;
}

/** PRETTY_NAME of /etc/os-release, or null. */
export function parsePrettyName(osRelease: string): string | null {
  return osRelease.match(/^PRETTY_NAME="?([^"\n]+)"?$/m)?.[1] ?? null;
}

async function readOr(path: string, fallback = ""): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return fallback;
  }
}

export async function describeMachine(now: Date = new Date()): Promise<MachineInfo> {
  const distro = parsePrettyName(await readOr("/etc/os-release")) ?? Deno.build.os;
  return {
    cpuModel: parseCpuModel(await readOr("/proc/cpuinfo")),
    cores: navigator.hardwareConcurrency,
    memoryGb: parseMemTotalGb(await readOr("/proc/meminfo")) ?? Math.round(Deno.systemMemoryInfo().total / 1e8) / 10,
    os: `${distro}, Linux ${Deno.osRelease()} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    date: now.toISOString(),
  };
}
