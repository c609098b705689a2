/**
 * CORS on the gateway's API paths, as hosted Supabase's API gateway does it: a preflight is answered by the gateway
 * itself (it carries no apikey, so the key check must not see it), and every answer, the gateway's own refusals and
 * 404s included (e.g. /auth/v1, which the local stack does not have), lets any origin read it. Without this a web page
 * on another origin sees "Failed to fetch" for a wrong key instead of the 401 that says so. The functions
 * (/functions/v1) answer their own CORS, as on hosted.
 */

export const REST_CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD",
  "access-control-allow-headers":
    "authorization, apikey, x-client-info, content-type, accept, accept-profile, content-profile, prefer, range, " +
    "x-supabase-api-version",
  "access-control-expose-headers": "content-range, content-location, preference-applied, x-total-count",
  "access-control-max-age": "3600",
};

const isApi = (request: Request) => !/^\/functions\/v1(\/|$)/.test(new URL(request.url).pathname);

export function withApiCors(
  handler: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (!isApi(request)) return await handler(request);
    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      return new Response(null, { status: 204, headers: REST_CORS_HEADERS });
    }
    const response = await handler(request);
    if (response.headers.has("access-control-allow-origin")) return response;
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(REST_CORS_HEADERS)) {
      if (name !== "access-control-max-age") headers.set(name, value);
    }
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}
