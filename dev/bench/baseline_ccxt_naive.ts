/**
 * Cold-start baseline: the naive way to use ccxt in an edge function, the whole package imported at the top, then one
 * request served. Listens where DENO_SERVE_ADDRESS says.
 */
import ccxt from "ccxt";

Deno.serve(() => new Response(`ok ${ccxt.exchanges.length}`));
