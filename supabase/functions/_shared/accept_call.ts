/**
 * The opening every venue function shares: build the deps (an incomplete env answers 500 naming the variable), refuse
 * any caller but the service role, then parse the body with the function's strict schema. Nothing is written before
 * all three pass.
 */
import type { z } from "zod";
import type { VenueFunctionDeps } from "./deps.ts";
import { EnvError } from "./env.ts";
import { HttpError, parseJsonBody, requireServiceRole } from "./http.ts";

export async function acceptServiceRoleCall<S extends z.ZodType>(
  req: Request,
  getDeps: () => VenueFunctionDeps,
  bodySchema: S,
): Promise<{ deps: VenueFunctionDeps; body: z.infer<S> }> {
  let deps: VenueFunctionDeps;
  try {
    deps = getDeps();
  } catch (error) {
    if (error instanceof EnvError) throw new HttpError(500, `server misconfigured: ${error.message}`);
    throw error;
  }
  requireServiceRole(req, deps.env);
  return { deps, body: await parseJsonBody(req, bodySchema) };
}
