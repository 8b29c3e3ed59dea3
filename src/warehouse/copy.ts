import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';

/**
 * COPY ... FROM STDIN in text format: the fastest way into Postgres, and the statement is fixed
 * text; the data travels as a stream, never as SQL.
 */
export type CopyValue = string | number | bigint | null;

/** Text-format escaping: backslash, and the three characters that would end a field or a row. */
export function escapeCopyText(value: string): string {
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

export function copyLine(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    const value = values[i];
    line += value === null || value === undefined ? '\\N' : typeof value === 'string' ? escapeCopyText(value) : String(value);
  }
  return `${line}\n`;
}

/** Joins lines into chunks of about 256 KiB: one write per line costs more than the COPY itself. */
export function* chunked(lines: Iterable<string>, chunkBytes = 256 * 1024): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= chunkBytes) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Streams the lines into `copyStatement` (a constant `COPY t (cols) FROM STDIN`); returns the rows Postgres counted. */
export async function copyInto(client: pg.ClientBase, copyStatement: string, lines: Iterable<string>): Promise<number> {
  const stream = client.query(copyStreams.from(copyStatement));
  await pipeline(Readable.from(chunked(lines)), stream);
  return Number(stream.rowCount ?? 0);
}
