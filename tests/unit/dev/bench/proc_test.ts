import assert from "node:assert/strict";
import { parseCpuMsFromStat, parseStatusKb, ProcParseError } from "../../../../dev/bench/proc.ts";
import { parseCpuModel, parseMemTotalGb, parsePrettyName } from "../../../../dev/bench/machine.ts";

// A real /proc/<pid>/stat line, with a command name that contains spaces and a parenthesis.
const STAT = "4242 (deno (main) x) S 1 4242 4242 0 -1 4194560 12345 0 0 0 137 42 0 0 20 0 9 0 123456 " +
  "1234567890 30000 18446744073709551615 1 1 0 0 0 0 0 16781312 17511 0 0 0 17 1 0 0 0 0 0";

Deno.test("CPU time is utime + stime (fields 14 and 15) in ms, counted after the command name", async (t) => {
  await t.step("100 Hz ticks", () => assert.equal(parseCpuMsFromStat(STAT), (137 + 42) * 10));
  await t.step("another tick rate", () => assert.equal(parseCpuMsFromStat(STAT, 1000), 137 + 42));
  await t.step("a line without the command name is refused", () => {
    assert.throws(() => parseCpuMsFromStat("4242 deno S 1"), ProcParseError);
  });
});

Deno.test("status fields are read in kB by name", () => {
  const status = "Name:\tdeno\nVmPeak:\t  900000 kB\nVmHWM:\t  171234 kB\nVmRSS:\t  160000 kB\n";
  assert.equal(parseStatusKb(status, "VmHWM"), 171234);
  assert.equal(parseStatusKb(status, "VmRSS"), 160000);
  assert.throws(() => parseStatusKb(status, "VmSwap"), /no VmSwap line/);
});

Deno.test("machine facts are parsed from /proc and /etc/os-release", () => {
  assert.equal(parseCpuModel("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n"), "AMD EPYC 7B13");
  assert.equal(parseCpuModel("processor\t: 0\n"), "unknown");
  assert.equal(parseMemTotalGb("MemTotal:       24683520 kB\nMemFree: 1 kB\n"), 23.5);
  assert.equal(parseMemTotalGb(""), null);
  assert.equal(
    parsePrettyName('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'),
    "Debian GNU/Linux 12 (bookworm)",
  );
});
