/**
 * Reads every row of a dashboard query, page by page. PostgREST cuts an answer at `max_rows` (1000 on hosted
 * projects, and on the local stack) without saying so; a dashboard figure summed from a cut answer is wrong. Each
 * page is one `range(from, to)`; the query must be ordered on a unique key, or rows could move between pages.
 */

/** Rows per page: PostgREST's default `max_rows`. A project that lowers max_rows must lower this too. */
export const PAGE_ROWS = 1000;

export interface PageAnswer {
  data: unknown;
  error: { message: string; code?: string } | null;
  status: number;
}

/** Every page's rows as one answer (the first failing page's error instead), and whether `maxRows` stopped it. */
export interface PagedAnswer extends PageAnswer {
  data: unknown[];
  capped: boolean;
}

export async function allPages(
  page: (from: number, to: number) => PromiseLike<PageAnswer>,
  options: { pageRows?: number; maxRows?: number } = {},
): Promise<PagedAnswer> {
  const pageRows = options.pageRows ?? PAGE_ROWS;
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  const data: unknown[] = [];
  let status = 200;
  while (data.length < maxRows) {
    const from = data.length;
    const to = Math.min(from + pageRows, maxRows) - 1;
    const answer = await page(from, to);
    if (answer.error) return { ...answer, data: [], capped: false };
    status = answer.status;
    const rows = Array.isArray(answer.data) ? answer.data : [];
    data.push(...rows);
    if (rows.length < to - from + 1) return { data, error: null, status, capped: false };
  }
  return { data, error: null, status, capped: true };
}
