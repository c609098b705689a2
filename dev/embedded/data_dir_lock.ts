/**
 * One process per data folder: PGlite has no postmaster.pid of its own, and two processes writing the same files
 * would corrupt the database. The lock is a file holding the owner's pid; a lock whose process is gone (killed, or
 * the machine restarted) is taken over.
 */

import { DataDirInUseError } from "./errors.ts";

export const LOCK_FILE_NAME = "embedded-postgres.pid";

export interface DataDirLock {
  path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** Linux: a live process has /proc/<pid>/stat, and its state is not Z (zombie: killed, not yet reaped) or X. */
async function processIsAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // "pid (command) S ...": the state follows the last ")" (the command may contain parentheses).
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(path)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Two attempts: the second after removing a stale lock. */
const LOCK_ATTEMPTS = 2;

export async function acquireDataDirLock(dataDir: string, pid: number): Promise<DataDirLock> {
  const path = `${dataDir}/${LOCK_FILE_NAME}`;
  for (let attempt = 1; attempt <= LOCK_ATTEMPTS; attempt++) {
    try {
      await Deno.writeTextFile(path, `${pid}\n`, { createNew: true });
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          if (await readOwner(path) === pid) await Deno.remove(path).catch(() => {});
        },
      };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      const owner = await readOwner(path);
      if (owner !== undefined && owner !== pid && await processIsAlive(owner)) {
        throw new DataDirInUseError(dataDir, owner);
      }
      await Deno.remove(path).catch(() => {});
    }
  }
  throw new Error(`could not take the lock ${path} (another process keeps recreating it)`);
}
