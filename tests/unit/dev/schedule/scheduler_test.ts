import assert from "node:assert/strict";
import { cadenceFromRows, type ScheduledJob } from "../../../../dev/schedule/cadence.ts";
import {
  gatewayInvoker,
  invocationRequest,
  InvocationTimeoutError,
  jobRequest,
} from "../../../../dev/schedule/invoke.ts";
import {
  LocalScheduler,
  type SchedulerClock,
  type SchedulerEvent,
  systemSchedulerClock,
} from "../../../../dev/schedule/scheduler.ts";
import { describeSchedulerEvent } from "../../../../dev/schedule/local.ts";

/** The migration's default rows, as PostgREST returns them. */
const DEFAULT_ROWS = [
  { name: "balance-sync", kind: "edge_function", cron: "*/5 * * * *", body: {}, timeout_ms: 30000, enabled: true },
  { name: "latency-sample", kind: "edge_function", cron: "* * * * *", body: {}, timeout_ms: 30000, enabled: true },
  { name: "prune-old-rows", kind: "retention", cron: "0 3 * * *", body: {}, timeout_ms: null, enabled: true },
  {
    name: "trade-burst",
    kind: "edge_function",
    cron: "* * * * *",
    body: { duration_ms: 45000 },
    timeout_ms: 60000,
    enabled: true,
  },
];

/** Time moves only when set or slept through; sleeping is instant but lets finished calls settle first. */
class FakeClock implements SchedulerClock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!signal.aborted) this.ms += Math.max(0, ms);
  }
}

/** An invoker that records calls and answers each with 200 right away. */
function recordingInvoker() {
  const calls: Array<{ job: string; at: number }> = [];
  return {
    calls,
    invoke: (clock: FakeClock) => (job: ScheduledJob) => {
      calls.push({ job: job.name, at: clock.ms });
      return Promise.resolve({ status: 200, body: { ok: true } });
    },
  };
}

const T0 = Date.parse("2026-03-04T12:00:30Z");

Deno.test("scheduler runs the default cadence: latency and burst each minute, balances every five", async () => {
  const clock = new FakeClock(T0);
  const recorder = recordingInvoker();
  const events: SchedulerEvent[] = [];
  const scheduler = new LocalScheduler(cadenceFromRows(DEFAULT_ROWS), {
    invoke: recorder.invoke(clock),
    clock,
    onEvent: (event) => events.push(event),
  });
  await scheduler.run(new AbortController().signal, { maxTicks: 10 });

  const count = (name: string) => recorder.calls.filter((call) => call.job === name).length;
  assert.equal(count("latency-sample"), 10, "12:01 … 12:10");
  assert.equal(count("trade-burst"), 10);
  assert.equal(count("balance-sync"), 2, "12:05 and 12:10");
  assert.equal(count("prune-old-rows"), 0, "03:00 is not in this window");
  const balanceMinutes = recorder.calls.filter((call) => call.job === "balance-sync")
    .map((call) => new Date(call.at).toISOString().slice(11, 16));
  assert.deepEqual(balanceMinutes, ["12:05", "12:10"]);
  assert.equal(events.filter((event) => event.type === "finished" && event.ok).length, 22);
  assert.deepEqual(scheduler.running(), []);
});

Deno.test("scheduler fires the retention job at 03:00 UTC", async () => {
  const clock = new FakeClock(Date.parse("2026-03-04T02:59:10Z"));
  const recorder = recordingInvoker();
  const scheduler = new LocalScheduler(cadenceFromRows(DEFAULT_ROWS), { invoke: recorder.invoke(clock), clock });
  await scheduler.run(new AbortController().signal, { maxTicks: 2 });
  assert.deepEqual(
    recorder.calls.filter((call) => call.job === "prune-old-rows").map((call) => new Date(call.at).toISOString()),
    ["2026-03-04T03:00:00.050Z"],
  );
});

Deno.test("scheduler does not make up the minute it started in, and runs each job once after missed minutes", () => {
  const clock = new FakeClock(T0);
  const recorder = recordingInvoker();
  const scheduler = new LocalScheduler(cadenceFromRows(DEFAULT_ROWS), { invoke: recorder.invoke(clock), clock });
  assert.deepEqual(scheduler.tick(new Date(T0 + 10_000)), [], "still 12:00: nothing due yet");
  // Asleep from 12:00 to 12:07: balance-sync was due at 12:05, the every-minute jobs seven times.
  assert.deepEqual(scheduler.tick(new Date("2026-03-04T12:07:02Z")), ["balance-sync", "latency-sample", "trade-burst"]);
  assert.deepEqual(scheduler.tick(new Date("2026-03-04T12:07:40Z")), [], "12:07 is handled already");
});

Deno.test("scheduler skips a job whose previous call is still running, and reports it", async () => {
  const clock = new FakeClock(T0);
  const releases: Array<() => void> = [];
  const events: SchedulerEvent[] = [];
  const jobs = cadenceFromRows(DEFAULT_ROWS.filter((row) => row.name === "trade-burst"));
  const scheduler = new LocalScheduler(jobs, {
    clock,
    onEvent: (event) => events.push(event),
    invoke: () => new Promise((resolve) => releases.push(() => resolve({ status: 200, body: {} }))),
  });
  assert.deepEqual(scheduler.tick(new Date("2026-03-04T12:01:00Z")), ["trade-burst"]);
  assert.deepEqual(scheduler.running(), ["trade-burst"]);
  assert.deepEqual(scheduler.tick(new Date("2026-03-04T12:02:00Z")), []);
  assert.deepEqual(events.map((event) => event.type), ["started", "skipped"]);
  releases[0]();
  await scheduler.idle();
  assert.deepEqual(scheduler.tick(new Date("2026-03-04T12:03:00Z")), ["trade-burst"]);
  releases[1]();
  await scheduler.idle();
  assert.equal(releases.length, 2);
});

Deno.test("scheduler reports failed calls and HTTP errors, and keeps going", async () => {
  const clock = new FakeClock(T0);
  const events: SchedulerEvent[] = [];
  const scheduler = new LocalScheduler(cadenceFromRows(DEFAULT_ROWS), {
    clock,
    onEvent: (event) => events.push(event),
    invoke: (job) =>
      job.name === "latency-sample"
        ? Promise.reject(new Error("connection refused"))
        : Promise.resolve({ status: 403, body: { error: "forbidden" } }),
  });
  clock.ms = Date.parse("2026-03-04T12:01:00Z");
  scheduler.tick();
  await scheduler.idle();
  const failed = events.find((event) => event.type === "failed");
  assert.ok(failed && failed.type === "failed");
  assert.equal(failed.job, "latency-sample");
  assert.equal(failed.error, "connection refused");
  const finished = events.find((event) => event.type === "finished");
  assert.ok(finished && finished.type === "finished");
  assert.equal(finished.ok, false);
  assert.equal(finished.result.status, 403);
  assert.match(describeSchedulerEvent(failed), /^12:01:00 latency-sample: FAILED after 0 ms: connection refused$/);
  assert.match(describeSchedulerEvent(finished), /^12:01:00 trade-burst: HTTP 403 in 0 ms \{"error":"forbidden"\}$/);
  clock.ms = Date.parse("2026-03-04T12:02:00Z");
  assert.deepEqual(scheduler.tick(), ["latency-sample", "trade-burst"], "the next minute runs as usual");
  await scheduler.idle();
});

Deno.test("aborting the run aborts the calls in flight and waits for them", async () => {
  const clock = new FakeClock(T0);
  const abort = new AbortController();
  const seenAbort: string[] = [];
  const jobs = cadenceFromRows(DEFAULT_ROWS.filter((row) => row.name === "latency-sample"));
  const scheduler = new LocalScheduler(jobs, {
    clock,
    invoke: (job, signal) =>
      new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          seenAbort.push(job.name);
          reject(new Error("aborted"));
        }, { once: true });
        // The first call is running: stop the scheduler now.
        abort.abort();
      }),
  });
  await scheduler.run(abort.signal, { maxTicks: 5 });
  assert.deepEqual(seenAbort, ["latency-sample"]);
  assert.deepEqual(scheduler.running(), []);
});

Deno.test("runNow starts jobs outside their schedule, and refuses unknown names", async () => {
  const clock = new FakeClock(T0);
  const recorder = recordingInvoker();
  const scheduler = new LocalScheduler(cadenceFromRows(DEFAULT_ROWS), { invoke: recorder.invoke(clock), clock });
  assert.deepEqual(scheduler.runNow(["balance-sync"]), ["balance-sync"]);
  await scheduler.idle();
  assert.deepEqual(recorder.calls.map((call) => call.job), ["balance-sync"]);
  assert.throws(() => scheduler.runNow(["nope"]), /no enabled job named nope/);
});

Deno.test("disabled rows are not scheduled", () => {
  const rows = DEFAULT_ROWS.map((row) => row.name === "trade-burst" ? { ...row, enabled: false } : row);
  const scheduler = new LocalScheduler(cadenceFromRows(rows), {
    clock: new FakeClock(T0),
    invoke: () => Promise.resolve({ status: 200, body: {} }),
  });
  assert.deepEqual(scheduler.dueJobs(new Date("2026-03-04T12:01:00Z")), ["latency-sample"]);
});

Deno.test("cadence rows are validated, naming the bad field", () => {
  assert.throws(
    () => cadenceFromRows([{ ...DEFAULT_ROWS[0], cron: "*/5 * * *" }]),
    /function_schedules rows are invalid: 0\.cron: cron expression "\*\/5 \* \* \*": expression has 4 fields/,
  );
  assert.throws(() => cadenceFromRows([{ ...DEFAULT_ROWS[0], kind: "shell" }]), /0\.kind/);
  assert.throws(() => cadenceFromRows([{ ...DEFAULT_ROWS[0], extra: 1 }]), /0: Unrecognized key/);
});

Deno.test("jobs become the same HTTP requests the pg_cron commands make", () => {
  const jobs = cadenceFromRows(DEFAULT_ROWS);
  const requests = jobs.map((job) => jobRequest(job, "http://127.0.0.1:9/"));
  assert.deepEqual(requests, [
    { url: "http://127.0.0.1:9/functions/v1/balance-sync", body: {}, timeoutMs: 30000 },
    { url: "http://127.0.0.1:9/functions/v1/latency-sample", body: {}, timeoutMs: 30000 },
    { url: "http://127.0.0.1:9/rest/v1/rpc/prune_old_rows", body: {}, timeoutMs: 30000 },
    { url: "http://127.0.0.1:9/functions/v1/trade-burst", body: { duration_ms: 45000 }, timeoutMs: 60000 },
  ]);
});

Deno.test("gateway invoker sends a secret key in apikey only (never as a bearer)", async () => {
  const seen: Request[] = [];
  const fakeFetch: typeof fetch = (input, init) => {
    seen.push(new Request(input, init));
    return Promise.resolve(new Response("{}", { status: 200 }));
  };
  const invoke = gatewayInvoker({ baseUrl: "http://gateway.test", serverKey: "sb_secret_fake", fetch: fakeFetch });
  await invoke(cadenceFromRows(DEFAULT_ROWS)[0], new AbortController().signal);
  assert.equal(seen[0].headers.get("apikey"), "sb_secret_fake");
  assert.equal(seen[0].headers.get("authorization"), null);
});

Deno.test("gateway invoker posts the body with the legacy service role key and reads the JSON answer", async () => {
  const seen: Request[] = [];
  const fakeFetch: typeof fetch = (input, init) => {
    seen.push(new Request(input, init));
    return Promise.resolve(new Response(JSON.stringify({ ticks: 3 }), { status: 200 }));
  };
  const invoke = gatewayInvoker({ baseUrl: "http://gateway.test", serverKey: "service-key", fetch: fakeFetch });
  const burst = cadenceFromRows(DEFAULT_ROWS).find((job) => job.name === "trade-burst")!;
  const result = await invoke(burst, new AbortController().signal);
  assert.deepEqual(result, { status: 200, body: { ticks: 3 } });
  assert.equal(seen[0].url, "http://gateway.test/functions/v1/trade-burst");
  assert.equal(seen[0].method, "POST");
  assert.equal(seen[0].headers.get("authorization"), "Bearer service-key");
  assert.equal(seen[0].headers.get("apikey"), "service-key");
  assert.deepEqual(await seen[0].json(), { duration_ms: 45000 });
});

Deno.test("gateway invoker gives up after the job's timeout", async () => {
  const fakeFetch: typeof fetch = (_input, init) =>
    new Promise((_, reject) => init!.signal!.addEventListener("abort", () => reject(new Error("aborted"))));
  const invoke = gatewayInvoker({ baseUrl: "http://gateway.test", serverKey: "k", fetch: fakeFetch });
  const job: ScheduledJob = { ...cadenceFromRows(DEFAULT_ROWS)[1], timeoutMs: 5 };
  await assert.rejects(invoke(job, new AbortController().signal), (error: unknown) => {
    assert.ok(error instanceof InvocationTimeoutError);
    assert.equal(error.message, "job latency-sample: no answer within 5 ms");
    return true;
  });
});

Deno.test("the system clock's sleep ends early when aborted", async () => {
  const abort = new AbortController();
  const sleeping = systemSchedulerClock.sleep(60_000, abort.signal);
  abort.abort();
  await sleeping;
});

Deno.test("a regional call goes both ways supabase-js sends a region: x-region and forceFunctionRegion", () => {
  const pinned = invocationRequest(
    { function_name: "trade-burst", body: { venues: ["binance"] }, region: "ap-northeast-1", timeout_ms: 60000 },
    "http://127.0.0.1:1/",
  );
  assert.equal(pinned.url, "http://127.0.0.1:1/functions/v1/trade-burst?forceFunctionRegion=ap-northeast-1");
  assert.deepEqual(pinned.headers, { "x-region": "ap-northeast-1" });
  assert.deepEqual(pinned.body, { venues: ["binance"] });
  const plain = invocationRequest(
    { function_name: "trade-burst", body: {}, region: null, timeout_ms: 60000 },
    "http://127.0.0.1:1",
  );
  assert.equal(plain.url, "http://127.0.0.1:1/functions/v1/trade-burst");
  assert.deepEqual(plain.headers, {});
});
