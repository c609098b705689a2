/**
 * Loaded with `deno run --preload` into a bench's trade-burst process, beside the shipped bundle (which stays as it
 * ships): stamps each venue order POST when the bundle hands it to the runtime's fetch, so push → order can end where
 * the order leaves our code rather than where the simulator, sharing the machine, gets round to reading it. Nothing is
 * written on the order path; the stamps go to the file named by BENCH_ORDER_DEPARTURES when the process gets SIGUSR2
 * (order_departures.ts reads them), and are then forgotten.
 */
import { ORDER_PATHS } from "./order_paths.ts";

/** Order placements on both venues, matched on the end of the request's path (the simulator prefixes the venue). */
const orderPaths = Object.values(ORDER_PATHS).flat();
const isOrderPath = (pathname: string) => orderPaths.some((path) => pathname.endsWith(path));

/** [epoch ms with its fraction, the request's URL and body]: the client order id is in one of the two. */
const departures: [number, string][] = [];
const nativeFetch = globalThis.fetch;

globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const at = performance.timeOrigin + performance.now();
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const method = init?.method ?? (input instanceof Request ? input.method : "GET");
  if (method === "POST" && isOrderPath(new URL(url).pathname)) {
    departures.push([at, `${url} ${typeof init?.body === "string" ? init.body : ""}`]);
  }
  return nativeFetch(input, init);
};

const target = Deno.env.get("BENCH_ORDER_DEPARTURES");
if (target) {
  Deno.addSignalListener("SIGUSR2", () => {
    const taken = departures.splice(0);
    Deno.writeTextFileSync(`${target}.part`, JSON.stringify(taken));
    // Renamed whole, so the reader never sees half a file.
    Deno.renameSync(`${target}.part`, target);
  });
}
