/**
 * Cold-start floor: a Deno process that serves one request and imports nothing. Listens where DENO_SERVE_ADDRESS says.
 */
Deno.serve(() => new Response("ok"));
