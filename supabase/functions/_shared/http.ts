/**
 * The function edge: who may call, what body is accepted, how answers look. Every answer is JSON.
 */
import { z } from "zod";
import { describeError } from "./describe_error.ts";

// ---- the HTTP error family: handlers turn these into short JSON answers ----------------------------------------

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `venues.1`; `(body)` for the body as a whole. */
  path: string;
  message: string;
}

/** An error with a status and a short, stable JSON body. Handlers turn it into the response as is. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(readonly status: number, message: string, readonly issues?: readonly FieldIssue[]) {
    super(message);
  }

  toBody(): { error: string; issues?: readonly FieldIssue[] } {
    return this.issues ? { error: this.message, issues: this.issues } : { error: this.message };
  }
}

export class BadRequestError extends HttpError {
  override name = "BadRequestError";
  constructor(message: string, issues: readonly FieldIssue[] = []) {
    super(400, message, issues);
  }
}

export class UnauthorizedError extends HttpError {
  override name = "UnauthorizedError";
  constructor(message = "missing credential") {
    super(401, message);
  }
}

export class ForbiddenError extends HttpError {
  override name = "ForbiddenError";
  constructor(message = "only a caller holding the project's secret key may call this function") {
    super(403, message);
  }
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** zod issues → `[{ path, message }]` with dotted paths (`venues.1`), `(body)` for the root. */
export function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    // zod puts unknown keys in `keys`, not in the path: name them so the caller sees which field is wrong.
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((key) => (path ? `${path}.${key}` : key));
      return { path: keys.join(", "), message: `unknown field(s): ${keys.join(", ")}` };
    }
    return { path: path || "(body)", message: issue.message };
  });
}

async function readLimited(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new BadRequestError(`body too large: ${declared} bytes, limit ${maxBytes}`, [
      { path: "(body)", message: `must be at most ${maxBytes} bytes` },
    ]);
  }
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new BadRequestError(`body too large: over ${maxBytes} bytes`, [
        { path: "(body)", message: `must be at most ${maxBytes} bytes` },
      ]);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * A body announced as something other than JSON is refused before it is read: a form post or text/plain body that
 * happens to hold valid JSON must not start a burst. A bodiless call (no content-length, no content-type) is fine.
 */
function requireJsonContentType(req: Request): void {
  const header = req.headers.get("content-type");
  const declaredEmpty = req.headers.get("content-length") === "0";
  if (header === null || declaredEmpty) return;
  const mediaType = (header.split(";")[0] ?? "").trim().toLowerCase();
  if (mediaType === "application/json" || mediaType.endsWith("+json")) return;
  throw new HttpError(415, "content-type must be application/json", [
    { path: "(content-type)", message: `must be application/json, got ${JSON.stringify(mediaType.slice(0, 100))}` },
  ]);
}

/**
 * Reads the JSON body and validates it with `schema` (make it `.strict()` so unknown keys are refused). An empty body
 * counts as `{}`. Non-JSON, oversized or invalid bodies throw BadRequestError (400) naming the field.
 */
export async function parseJsonBody<S extends z.ZodType>(
  req: Request,
  schema: S,
  options: { maxBytes?: number } = {},
): Promise<z.infer<S>> {
  requireJsonContentType(req);
  const bytes = await readLimited(req, options.maxBytes ?? DEFAULT_MAX_BODY_BYTES);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequestError("body is not valid UTF-8", [{ path: "(body)", message: "must be UTF-8 JSON" }]);
  }
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new BadRequestError("body is not valid JSON", [
        { path: "(body)", message: `must be JSON: ${(error as Error).message}` },
      ]);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new BadRequestError(`invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, issues);
  }
  return parsed.data;
}

/**
 * Wraps a handler: HttpError → its status and JSON; anything else → 500 with a short message (details go to the log).
 * Only POST is accepted (OPTIONS is not needed: these functions are not called from browsers).
 */
export function jsonHandler(
  handle: (req: Request) => Promise<Response>,
  options: { log?: (line: string) => void } = {},
): (req: Request) => Promise<Response> {
  const log = options.log ?? ((line: string) => console.error(line));
  return async (req) => {
    try {
      if (req.method !== "POST") return json(405, { error: "method not allowed; use POST" }, { allow: "POST" });
      return await handle(req);
    } catch (error) {
      if (error instanceof HttpError) return json(error.status, error.toBody());
      log(`unhandled error: ${describeError(error)}`);
      return json(500, { error: "internal error" });
    }
  };
}
