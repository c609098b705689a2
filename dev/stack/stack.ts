/**
 * The local Supabase replacement: Postgres (bootstrap + migrations), PostgREST, the gateway and one process per edge
 * function. Used by tests (`startStack()`) and by `deno task stack`.
 */

import { resolve } from "node:path";
import { REPO_ROOT } from "./commands.ts";
import { startDatabase } from "./database.ts";
import { StackStartError } from "./errors.ts";
import { loadEntrypoints, loadVerifyJwt } from "./function_config.ts";
import { discoverFunctions, FunctionRunner } from "./functions.ts";
import { type Gateway, isProjectKey, startGateway } from "./gateway.ts";
import { type AuthUser, createAuthHandler } from "./auth.ts";
import { mintStackKeys, randomJwtSecret } from "./keys.ts";
import { startPostgrest } from "./postgrest.ts";

/**
 * Which API keys the project has. `with-legacy`: the new opaque keys and the legacy JWT keys (a project made before
 * the switch, or one that still keeps them). `new-only`: a project created today with legacy keys disabled.
 */
export type KeyMode = "with-legacy" | "new-only";
export const KEY_MODES: readonly KeyMode[] = ["with-legacy", "new-only"];

export interface StackOptions {
  /** Default `with-legacy`. */
  keyMode?: KeyMode;
  /** Extra env for every function; wins over the stack's own variables and the inherited environment. */
  functionEnv?: Record<string, string>;
  /** Default `<repo>/supabase/functions`. */
  functionsDir?: string;
  /** Which functions to run: names, `false` for none. Default: every folder with an index.ts except `_shared`. */
  functions?: string[] | false;
  /**
   * Default `<repo>/supabase/config.toml`, read for `[functions.<name>] verify_jwt` and `entrypoint` (the file each
   * function process runs, when it lies inside functionsDir; else `<functionsDir>/<name>/index.ts`).
   */
  configPath?: string;
  /** Gateway port. Default: a free one. */
  gatewayPort?: number;
  /**
   * Use this database instead of starting a cluster; it must already have the bootstrap and the migrations, and its
   * role must be able to switch to anon/authenticated/service_role (superuser or authenticator), as PostgREST does.
   */
  databaseUrl?: string;
  /** Also receives everything PostgREST (`postgrest`) and each function (its name) print; log files get it anyway. */
  onOutput?: (source: string, chunk: Uint8Array) => void;
  /**
   * Parent folder of the stack's log folder and Postgres cluster folder; the `postgres` OS user must be able to
   * traverse it. Default `<repo>/.local` (gitignored).
   */
  workDir?: string;
  /** Default `<repo>/supabase/migrations`. */
  migrationsDir?: string;
  /** Default `<repo>/dev/db/bootstrap.sql`. */
  bootstrapSql?: string;
  /** Issue 18: model Edge regions (one process per function per region, routed by x-region/forceFunctionRegion). */
  regions?: StackRegions;
  /**
   * Users who can sign in with e-mail and password on `/auth/v1` (dev/stack/auth.ts, a minimal GoTrue stand-in).
   * Without it the stack has no Auth, as before: `/auth/v1` answers 404.
   */
  authUsers?: readonly AuthUser[];
}

export interface StackRegions {
  names: readonly string[];
  /** Where a call without a region (or naming a region not modelled) lands: the project's own region. */
  defaultRegion: string;
  /** Env per region on top of functionEnv, given the gateway URL (the latency model's proxies: dev/stack/regions.ts). */
  regionEnv?: (region: string, gatewayUrl: string) => Record<string, string>;
}

export interface Stack {
  gatewayUrl: string;
  /** Superuser URL of the database (`postgres` role), also given to functions as SUPABASE_DB_URL. */
  databaseUrl: string;
  keyMode: KeyMode;
  /** `sb_publishable_…`, anon on /rest/v1. */
  publishableKey: string;
  /** `sb_secret_…`, service_role on /rest/v1; what the functions' callers present in `apikey`. */
  secretKey: string;
  /** Legacy anon JWT; undefined in `new-only` mode. */
  anonKey: string | undefined;
  /** Legacy service_role JWT; undefined in `new-only` mode. */
  serviceRoleKey: string | undefined;
  /** A signed-in user's access token (a JWT in both modes; not a member unless a test makes it one). */
  authenticatedKey: string;
  /** `sub` of authenticatedKey. */
  authenticatedUserId: string;
  jwtSecret: string;
  /** What each function process gets on top of the inherited environment (without DENO_SERVE_ADDRESS). */
  functionEnv: Record<string, string>;
  /** Names of the running functions. */
  functions: readonly string[];
  /** The modelled regions (empty without the region model). */
  regions: readonly string[];
  /** Region outage: the gateway drops (503) every call routed to `region` until restoreRegion. */
  dropRegion(region: string): void;
  restoreRegion(region: string): void;
  /** With the region model: every function call the gateway routed, in order, with the region it landed in. */
  routedCalls(): readonly { name: string; region: string; dropped: boolean }[];
  /** Folder of this stack's log files (removed by stop). */
  logDir: string;
  /** Folder of the Postgres cluster (removed by stop); undefined with `databaseUrl`. */
  clusterDir: string | undefined;
  /** Everything a function printed so far (stdout and stderr). */
  functionLogs(name: string): Promise<string>;
  /** SIGKILL a function, as a crash would. */
  killFunction(name: string): Promise<void>;
  restartFunction(name: string): Promise<void>;
  /** Pids of the child processes still running, plus the Postgres postmaster (for leak checks). */
  processIds(): Promise<number[]>;
  /** Stops everything and removes the stack's folders. Idempotent. */
  stop(): Promise<void>;
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const firstLine = (await Deno.readTextFile(`${dataDir}/postmaster.pid`)).split("\n")[0];
    return Number(firstLine);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  // Cleanups run in reverse start order, both when a later step fails and on stop().
  const cleanups: Array<() => Promise<void>> = [];
  const runCleanups = async () => {
    const errors: unknown[] = [];
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop()!;
      await cleanup().catch((error) => errors.push(error));
    }
    if (errors.length > 0) throw new AggregateError(errors, "local stack: some parts failed to stop");
  };
  const step = async <T>(name: string, action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      await runCleanups().catch(() => {});
      throw new StackStartError(name, error);
    }
  };

  const keyMode = options.keyMode ?? "with-legacy";
  const legacy = keyMode === "with-legacy";
  const workDir = resolve(options.workDir ?? `${REPO_ROOT}/.local`);
  const keys = await step("mint keys", () => mintStackKeys(randomJwtSecret()));

  const logDir = await step("create log folder", async () => {
    await Deno.mkdir(workDir, { recursive: true });
    const dir = await Deno.makeTempDir({ dir: workDir, prefix: "stack-" });
    cleanups.push(() => Deno.remove(dir, { recursive: true }));
    return dir;
  });

  let clusterDir: string | undefined;
  const database = await step("start Postgres and apply bootstrap + migrations", async () => {
    if (options.databaseUrl) return { url: options.databaseUrl, postgrestUri: options.databaseUrl };
    const authenticatorPassword = crypto.randomUUID().replaceAll("-", "");
    const prepared = await startDatabase({
      authenticatorPassword,
      migrationsDir: options.migrationsDir,
      bootstrapSql: options.bootstrapSql,
      parentDir: workDir,
    });
    cleanups.push(() => prepared.stop());
    clusterDir = prepared.dir;
    return { url: prepared.url, postgrestUri: prepared.authenticatorUrl };
  });

  const postgrest = await step("start PostgREST", async () => {
    const server = await startPostgrest({
      dbUri: database.postgrestUri,
      jwtSecret: keys.jwtSecret,
      logPath: `${logDir}/postgrest.log`,
      onOutput: options.onOutput && ((chunk) => options.onOutput!("postgrest", chunk)),
    });
    cleanups.push(() => server.stop());
    return server;
  });

  // Absolute, because function processes run with the repository as their working folder.
  const functionsDir = resolve(options.functionsDir ?? `${REPO_ROOT}/supabase/functions`);
  const configPath = options.configPath ?? `${REPO_ROOT}/supabase/config.toml`;
  const runner = await step("find functions", async () => {
    const names = options.functions === false ? [] : options.functions ?? await discoverFunctions(functionsDir);
    const entry = await loadEntrypoints(configPath, functionsDir);
    for (const name of names) {
      // A missing bundle fails here, naming the file (run `deno task build`), instead of a process that exits.
      await Deno.stat(entry(name)).catch(() => {
        throw new Error(`function ${name} has no ${entry(name)}`);
      });
    }
    const regions = options.regions;
    if (regions && !regions.names.includes(regions.defaultRegion)) {
      throw new Error(`regions: the default region ${regions.defaultRegion} is not one of ${regions.names.join(", ")}`);
    }
    return new FunctionRunner({
      functionsDir,
      names,
      logDir,
      onOutput: options.onOutput,
      entry,
      regions: regions?.names,
    });
  });

  const down = new Set<string>();
  const routed: { name: string; region: string; dropped: boolean }[] = [];
  const gateway: Gateway = await step("start gateway", async () => {
    const verifyJwt = await loadVerifyJwt(configPath);
    const apiKeys = {
      publishable: [keys.publishableKey],
      secret: [keys.secretKey],
      anonToken: keys.anonKey,
      serviceRoleToken: keys.serviceRoleKey,
      legacyKeysEnabled: legacy,
    };
    let gatewayUrl = "";
    const started = startGateway({
      postgrestUrl: postgrest.url,
      jwtSecret: keys.jwtSecret,
      apiKeys,
      auth: options.authUsers
        ? createAuthHandler({
          jwtSecret: keys.jwtSecret,
          issuerBase: () => gatewayUrl,
          users: options.authUsers,
          validApiKey: (apikey) => isProjectKey(apikey, apiKeys, keys.jwtSecret),
        })
        : undefined,
      functionTarget: (name, region) => {
        const regions = options.regions;
        if (!regions) return runner.target(name);
        const landing = region !== null && regions.names.includes(region) ? region : regions.defaultRegion;
        routed.push({ name, region: landing, dropped: down.has(landing) });
        return down.has(landing) ? "down" : runner.target(name, landing);
      },
      verifyJwt,
      port: options.gatewayPort,
    });
    cleanups.push(() => started.stop());
    gatewayUrl = started.url;
    return started;
  });

  // What hosted Supabase gives every function: the key maps by name, plus the legacy keys where the project has them.
  const functionEnv: Record<string, string> = {
    SUPABASE_URL: gateway.url,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
    // new-only: empty (= unset for the functions), so a legacy key inherited from this process cannot sneak in.
    SUPABASE_ANON_KEY: legacy ? keys.anonKey : "",
    SUPABASE_SERVICE_ROLE_KEY: legacy ? keys.serviceRoleKey : "",
    SUPABASE_DB_URL: database.url,
    ...options.functionEnv,
  };
  await step("start functions", async () => {
    // Registered before starting so a half-started set is stopped too.
    cleanups.push(() => runner.stopAll());
    const regionEnv = options.regions?.regionEnv;
    await runner.startAll(functionEnv, regionEnv ? (region) => regionEnv(region, gateway.url) : undefined);
  });

  let stopping: Promise<void> | undefined;
  return {
    gatewayUrl: gateway.url,
    databaseUrl: database.url,
    keyMode,
    publishableKey: keys.publishableKey,
    secretKey: keys.secretKey,
    anonKey: legacy ? keys.anonKey : undefined,
    serviceRoleKey: legacy ? keys.serviceRoleKey : undefined,
    authenticatedKey: keys.authenticatedKey,
    authenticatedUserId: keys.authenticatedUserId,
    jwtSecret: keys.jwtSecret,
    functionEnv,
    functions: runner.names,
    regions: runner.regions,
    dropRegion: (region) => void down.add(region),
    restoreRegion: (region) => void down.delete(region),
    routedCalls: () => [...routed],
    logDir,
    clusterDir,
    functionLogs: (name) => Deno.readTextFile(runner.logPath(name)),
    killFunction: (name) => runner.kill(name),
    restartFunction: (name) => runner.restart(name),
    async processIds() {
      const pids = [postgrest.pid, ...runner.pids()];
      const postmaster = clusterDir ? await postmasterPid(`${clusterDir}/data`) : undefined;
      return postmaster === undefined ? pids : [...pids, postmaster];
    },
    stop() {
      stopping ??= runCleanups();
      return stopping;
    },
  };
}
