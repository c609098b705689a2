import assert from "node:assert/strict";
import {
  dashboardClient,
  NOT_A_MEMBER,
  parseDashboardArgs,
  runDashboard,
  UsageError,
} from "../../../../dashboard/terminal/cli.ts";

const noEnv = () => undefined;
const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("dashboard options come from flags, then env, and name what is wrong", async (t) => {
  await t.step("flags", () => {
    assert.deepEqual(parseDashboardArgs(["--url", "http://127.0.0.1:54321", "--key", "k", "--once"], noEnv), {
      url: "http://127.0.0.1:54321",
      key: "k",
      once: true,
      intervalSeconds: 5,
    });
  });
  await t.step("env fills what the flags leave out; flags win", () => {
    const fromEnv = env({ SUPABASE_URL: "https://ref.supabase.co", SUPABASE_KEY: "env-key" });
    assert.deepEqual(parseDashboardArgs(["--interval", "10"], fromEnv), {
      url: "https://ref.supabase.co",
      key: "env-key",
      once: false,
      intervalSeconds: 10,
    });
    assert.equal(parseDashboardArgs(["--key", "flag-key"], fromEnv).key, "flag-key");
  });
  await t.step("a member's session token from --token or SUPABASE_ACCESS_TOKEN", () => {
    const base = ["--url", "http://x", "--key", "sb_publishable_fake"];
    assert.equal(parseDashboardArgs([...base, "--token", "flag.jwt"], noEnv).accessToken, "flag.jwt");
    assert.equal(parseDashboardArgs(base, env({ SUPABASE_ACCESS_TOKEN: "env.jwt" })).accessToken, "env.jwt");
    assert.equal(parseDashboardArgs(base, env({ SUPABASE_ACCESS_TOKEN: "" })).accessToken, undefined);
  });
  const failures: Array<[string[], RegExp]> = [
    [["--key", "k"], /--url \(or env SUPABASE_URL\) is required/],
    [["--url", "http://x"], /--key \(or env SUPABASE_KEY\) is required/],
    [["--url", "ftp://x", "--key", "k"], /--url must be an http\(s\) URL, got "ftp:\/\/x"/],
    [["--url", "http://x", "--key", "k", "--interval", "0"], /--interval must be a whole number .* got "0"/],
    [["--url", "http://x", "--key", "k", "--interval", "1.5"], /got "1.5"/],
    [["--url", "http://x", "--key", "k", "--nope"], /nope/],
  ];
  for (const [args, message] of failures) {
    await t.step(args.join(" "), () => {
      assert.throws(() => parseDashboardArgs(args, noEnv), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
  await t.step("--help is a usage error without a message", () => {
    assert.throws(() => parseDashboardArgs(["--help"], noEnv), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, "");
      return true;
    });
  });
});

/** A client whose every request fails the way an unreachable project does. */
function unreachableClient() {
  return dashboardClient("http://127.0.0.1:9", "key", () => Promise.reject(new TypeError("connection refused")));
}

Deno.test("with a session token the client sends the key in apikey and the token as bearer", async () => {
  const seen: Request[] = [];
  const recording: typeof fetch = (input, init) => {
    seen.push(new Request(input, init));
    return Promise.resolve(Response.json([]));
  };
  await dashboardClient("http://127.0.0.1:9", "sb_publishable_fake", recording, "member.session.jwt")
    .from("bot_settings").select("id");
  assert.equal(seen[0].headers.get("apikey"), "sb_publishable_fake");
  assert.equal(seen[0].headers.get("authorization"), "Bearer member.session.jwt");
});

Deno.test("dashboard --once says so and exits 1 when every table reads empty (a signed-in non-member)", async () => {
  const empty: typeof fetch = () => Promise.resolve(Response.json([]));
  const output: string[] = [];
  const code = await runDashboard(
    { url: "http://127.0.0.1:9", key: "key", once: true, intervalSeconds: 5 },
    {
      client: dashboardClient("http://127.0.0.1:9", "key", empty),
      write: (text) => output.push(text),
      sleep: () => Promise.resolve(),
    },
    new AbortController().signal,
  );
  assert.equal(code, 1);
  assert.deepEqual(output, [NOT_A_MEMBER]);
});

Deno.test("dashboard --once prints the read error and exits 1 when the project cannot be read", async () => {
  const output: string[] = [];
  const code = await runDashboard(
    { url: "http://127.0.0.1:9", key: "key", once: true, intervalSeconds: 5 },
    { client: unreachableClient(), write: (text) => output.push(text), sleep: () => Promise.resolve() },
    new AbortController().signal,
  );
  assert.equal(code, 1);
  assert.equal(output.length, 1);
  assert.match(output[0], /^dashboard: cannot read bot_settings: .*connection refused/);
});

Deno.test("dashboard refresh loop redraws each interval, keeps going after errors, and stops on abort", async () => {
  const output: string[] = [];
  const stop = new AbortController();
  const sleeps: number[] = [];
  const code = await runDashboard(
    { url: "http://127.0.0.1:9", key: "key", once: false, intervalSeconds: 7 },
    {
      client: unreachableClient(),
      write: (text) => output.push(text),
      sleep: (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 3) stop.abort();
        return Promise.resolve();
      },
    },
    stop.signal,
  );
  assert.equal(code, 0);
  assert.deepEqual(sleeps, [7000, 7000, 7000]);
  assert.equal(output.length, 3);
  for (const screen of output) {
    assert.ok(screen.startsWith("\x1b[2J\x1b[H"), "each redraw clears the screen first");
    assert.match(screen, /cannot read bot_settings/);
    assert.match(screen, /refreshing every 7s; Ctrl-C to quit/);
  }
});
