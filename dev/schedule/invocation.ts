/** What the scheduler sends and gets back per call: shared by invoke.ts and fallback.ts. */
import { z } from "zod";

export interface InvocationResult {
  status: number;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: unknown;
}

/** One call of a fanned-out job, as `public.function_schedule_invocations` lists it (what pg_cron's job sends). */
export const invocationSchema = z.object({
  function_name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  body: z.record(z.string(), z.unknown()),
  region: z.string().regex(/^[a-z]{2}-[a-z]+-[0-9]{1,2}$/).nullable(),
  timeout_ms: z.number().int().min(1_000).max(400_000),
}).strict();
export type Invocation = z.infer<typeof invocationSchema>;
