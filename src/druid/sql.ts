/**
 * Druid SQL results, asked for as `resultFormat: "array"` with both headers: the first row names
 * the columns and the second gives their SQL types, so column order survives (object keys that
 * look like numbers would not) and the table can format numbers by type. Pure.
 */

export interface SqlResult {
  readonly columns: readonly string[];
  /** SQL type per column (BIGINT, DOUBLE, VARCHAR, TIMESTAMP, …); empty strings when unknown. */
  readonly types: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** A value for a `?` in the query: Druid binds it with this SQL type, so no value is ever spliced into SQL text. */
export interface SqlParameter {
  readonly type: 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'INTEGER' | 'BOOLEAN' | 'TIMESTAMP';
  readonly value: string | number | boolean;
}

/** The request body for POST /druid/v2/sql. */
export function sqlRequest(query: string, context: Readonly<Record<string, unknown>> = {}, parameters: readonly SqlParameter[] = []): Record<string, unknown> {
  return {
    query,
    resultFormat: 'array',
    header: true,
    sqlTypesHeader: true,
    ...(Object.keys(context).length > 0 ? { context } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
  };
}

export function parseSqlResult(body: unknown): SqlResult {
  if (!Array.isArray(body)) throw new Error('Druid answered the SQL query with something other than an array of rows');
  const [header, types, ...rows] = body as unknown[];
  if (header === undefined) return { columns: [], types: [], rows: [] };
  if (!Array.isArray(header) || !header.every((c) => typeof c === 'string')) throw new Error('Druid sent no column header with the SQL result');
  const typeRow = Array.isArray(types) && types.every((t) => typeof t === 'string') ? (types as string[]) : header.map(() => '');
  return { columns: header as string[], types: typeRow, rows: rows.filter(Array.isArray) as unknown[][] };
}

/** Rows as objects keyed by column, for --json. */
export function sqlRowsAsObjects(result: SqlResult): Record<string, unknown>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null])));
}

const FLOATING = new Set(['DOUBLE', 'FLOAT', 'REAL', 'DECIMAL']);

/**
 * One cell as text. Doubles are shown to 15 significant digits, which hides summation noise
 * (188.45000000000005 → 188.45) while every digit a user typed survives; --json keeps the raw value.
 */
export function formatSqlValue(value: unknown, sqlType = ''): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (FLOATING.has(sqlType.toUpperCase()) || !Number.isInteger(value)) return String(Number(value.toPrecision(15)));
    return String(value);
  }
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Rows of text for the table printer, in column order. */
export function sqlDisplayRows(result: SqlResult): Record<string, string>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, formatSqlValue(row[i], result.types[i])])));
}

/** `--context key=value`: a JSON value when it parses as one (true, 42), the text otherwise. */
export function parseContextEntry(entry: string): [string, unknown] {
  const eq = entry.indexOf('=');
  if (eq <= 0) throw new Error(`"${entry}" is not key=value`);
  const key = entry.slice(0, eq).trim();
  const raw = entry.slice(eq + 1);
  try {
    return [key, JSON.parse(raw) as unknown];
  } catch {
    return [key, raw];
  }
}
