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

const NEEDS_ESCAPE = /[\\\n\r\t]/;

/** escapeCopyText, without building a new string for the (usual) value that needs none. */
export function copyText(value: string): string {
  return NEEDS_ESCAPE.test(value) ? escapeCopyText(value) : value;
}

/**
 * copyText for the output of JSON.stringify, which escapes every control character itself: only
 * its backslashes need doubling, and most payloads have none.
 */
export function jsonCopyText(json: string): string {
  return json.includes('\\') ? json.replace(/\\/g, '\\\\') : json;
}

export function copyLine(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    const value = values[i];
    line += value === null || value === undefined ? '\\N' : typeof value === 'string' ? copyText(value) : String(value);
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

/**
 * The lines UTF-8 encoded into buffers of about `chunkBytes`, written in place: concatenating
 * strings and encoding each chunk at the end (what chunked + a string stream do) costs several
 * times more, most of it flattening the concatenation.
 */
export function* copyChunks(lines: Iterable<string>, chunkBytes = COPY_CHUNK_BYTES): Generator<Buffer> {
  let buffer = Buffer.allocUnsafe(chunkBytes);
  let used = 0;
  for (const line of lines) {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8; count exactly only near the end.
    if (used + line.length * 3 > buffer.length) {
      const bytes = Buffer.byteLength(line);
      if (used + bytes > buffer.length) {
        if (used > 0) yield buffer.subarray(0, used);
        buffer = Buffer.allocUnsafe(Math.max(chunkBytes, bytes));
        used = 0;
      }
    }
    used += buffer.write(line, used);
  }
  if (used > 0) yield buffer.subarray(0, used);
}

export const COPY_CHUNK_BYTES = 256 * 1024;
/** A batch's first chunk is small (a Kafka batch may hold a handful of records); each next one doubles, up to the max. */
const ROW_STORE_FIRST_CHUNK_BYTES = 64 * 1024;
const ROW_STORE_MAX_CHUNK_BYTES = 1024 * 1024;

/** Where CopyRows put a row: bytes [start, end) of chunk `chunk`, its newline included. */
export interface RowPlace {
  chunk: number;
  start: number;
  end: number;
}

/**
 * COPY text rows, UTF-8 encoded as they are added, in buffers that are only appended to. A batch
 * waiting for its transaction holds a few large buffers instead of thousands of strings: strings
 * kept that long are copied and traced by every garbage collection they live through, which cost
 * more than all the formatting. A row never spans two chunks.
 */
export class CopyRows {
  readonly chunks: Buffer[] = [];
  private used = 0;

  /** Adds the row `head` + `tail` + newline; both already escaped (copyText). */
  append(head: string, tail: string): RowPlace {
    let current = this.chunks[this.chunks.length - 1];
    if (current === undefined || this.used + (head.length + tail.length) * 3 + 1 > current.length) {
      const bytes = Buffer.byteLength(head) + Buffer.byteLength(tail) + 1;
      if (current === undefined || this.used + bytes > current.length) {
        const size = current === undefined ? ROW_STORE_FIRST_CHUNK_BYTES : Math.min(ROW_STORE_MAX_CHUNK_BYTES, current.length * 2);
        current = Buffer.allocUnsafe(Math.max(size, bytes));
        this.chunks.push(current);
        this.used = 0;
      }
    }
    const start = this.used;
    let end = start + current.write(head, start);
    end += current.write(tail, end);
    current[end++] = 0x0a;
    this.used = end;
    return { chunk: this.chunks.length - 1, start, end };
  }
}

/**
 * The COPY stream of `rows`: each row preceded by `prefix` (the columns it shares with the others,
 * escaped and tab-terminated), in buffers of about COPY_CHUNK_BYTES.
 */
export function* prefixedCopyChunks(prefix: string, store: CopyRows, rows: Iterable<RowPlace>): Generator<Buffer> {
  const head = Buffer.from(prefix);
  let out = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  let used = 0;
  for (const row of rows) {
    const length = head.length + row.end - row.start;
    if (used + length > out.length) {
      if (used > 0) yield out.subarray(0, used);
      out = Buffer.allocUnsafe(Math.max(COPY_CHUNK_BYTES, length));
      used = 0;
    }
    used += head.copy(out, used);
    used += (store.chunks[row.chunk] as Buffer).copy(out, used, row.start, row.end);
  }
  if (used > 0) yield out.subarray(0, used);
}

/** Streams the buffers into `copyStatement` (a constant `COPY t (cols) FROM STDIN`); returns the rows Postgres counted. */
export async function copyBuffersInto(client: pg.ClientBase, copyStatement: string, chunks: Iterable<Buffer>): Promise<number> {
  const stream = client.query(copyStreams.from(copyStatement));
  await pipeline(Readable.from(chunks, { objectMode: false }), stream);
  return Number(stream.rowCount ?? 0);
}

/** Streams the lines into `copyStatement` (a constant `COPY t (cols) FROM STDIN`); returns the rows Postgres counted. */
export async function copyInto(client: pg.ClientBase, copyStatement: string, lines: Iterable<string>): Promise<number> {
  return copyBuffersInto(client, copyStatement, copyChunks(lines));
}
