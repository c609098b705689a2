/** Direct SQL for tests (postgres.js), for checking what really landed in the tables behind the API. */

import postgres from "postgres";

export type Sql = postgres.Sql;

/** Opens one connection, runs `body`, always closes it (so the resource sanitizer stays quiet). */
export async function withSql<T>(databaseUrl: string, body: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    return await body(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
