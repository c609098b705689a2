/**
 * Access (issue 7). The fault: a caller that is not the service role reaches a function — no key, the public anon key
 * (a valid JWT, so the gateway's verify_jwt lets it through), a signed-in user, an expired or forged service-role
 * token, garbage, the publishable key, the secret key in the wrong header, another project's secret key. What must
 * hold, for every function folder under supabase/functions: each such caller is refused (401 when it brings no
 * credential, 403 for any credential that is not the project's secret key in `apikey` or the legacy service role
 * bearer; issue 12), and a refused call writes nothing to any public table; the service role itself succeeds with a
 * minimal valid body. tests/e2e/auth_matrix_test.ts runs the issue-12 matrix in both key modes.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../dev/sim/server.ts";
import {
  callFunction,
  changedTables,
  describeCall,
  functionFolders,
  minimalValidBody,
  refusedCallers,
  snapshotTables,
  withIndexTs,
} from "../support/hostile.ts";
import { simulatorEnv } from "../support/sim_env.ts";
import { withSql } from "../support/sql.ts";
import { stackTest } from "../support/stack.ts";

const sim = await startSimulator({ seed: 71 });
globalThis.addEventListener("unload", () => void sim.stop());

const folders = await functionFolders();
const runnable = await withIndexTs(folders);

stackTest("access: only the service role may invoke any function", {
  functions: runnable,
  functionEnv: simulatorEnv(sim),
}, async (t, stack) => {
  await t.step("every function folder has an index.ts and is served", () => {
    assert.ok(folders.length > 0, "no function folders found");
    assert.deepEqual(runnable, folders, "function folders without an index.ts");
    assert.deepEqual([...stack.functions].sort(), folders);
  });

  const callers = await refusedCallers(stack);
  await withSql(stack.databaseUrl, async (sql) => {
    for (const name of runnable) {
      await t.step(name, async (t) => {
        for (const caller of callers) {
          await t.step(`${caller.label}: refused with ${caller.allowed.join(" or ")}, nothing written`, async () => {
            const before = await snapshotTables(sql);
            const answer = await callFunction(stack, name, {
              authorization: caller.authorization,
              apikey: caller.apikey,
              body: JSON.stringify(minimalValidBody(name)),
            });
            const after = await snapshotTables(sql);
            assert.ok(caller.allowed.includes(answer.status), `${caller.label}: ${describeCall(answer)}`);
            assert.deepEqual(changedTables(before, after), [], `${caller.label} wrote to tables`);
          });
        }

        await t.step("the service role succeeds with a minimal valid body, and its run is logged", async () => {
          const runs = async () =>
            (await sql<{ n: number }[]>`select count(*)::int as n from public.function_runs
                                        where function_name = ${name}`)[0].n;
          const runsBefore = await runs();
          const answer = await callFunction(stack, name, { body: JSON.stringify(minimalValidBody(name)) });
          assert.ok(answer.status >= 200 && answer.status < 300, describeCall(answer));
          assert.ok(answer.json, `the answer is a JSON object: ${describeCall(answer)}`);
          assert.ok(await runs() > runsBefore, "a function_runs row records the accepted call");
        });
      });
    }
  });
});
