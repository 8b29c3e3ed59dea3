import { describe, expect, it } from 'vitest';
import { formatTable } from '../../../src/cli/output.js';
import { formatSqlValue, parseContextEntry, parseSqlResult, sqlDisplayRows, sqlRequest, sqlRowsAsObjects } from '../../../src/druid/sql.js';

// resultFormat "array" with header and sqlTypesHeader, as Druid 33.0.0 answers it.
const BODY = [
  ['city', 'rides', 'revenue', 'first', 'zones'],
  ['VARCHAR', 'BIGINT', 'DOUBLE', 'TIMESTAMP', 'VARCHAR ARRAY'],
  ['lon', 85, 1282.68, '2026-12-01T08:14:29.277Z', ['a', 'b']],
  ['nyc', 13, 188.45000000000005, '2026-12-01T08:09:45.892Z', null],
];

describe('Druid SQL results', () => {
  it('are asked for as arrays with column names and SQL types, so column order survives', () => {
    expect(sqlRequest('SELECT 1')).toEqual({ query: 'SELECT 1', resultFormat: 'array', header: true, sqlTypesHeader: true });
    expect(sqlRequest('SELECT 1', { useApproximateCountDistinct: false })).toMatchObject({ context: { useApproximateCountDistinct: false } });
  });

  it('parse into columns, types and rows', () => {
    const result = parseSqlResult(BODY);
    expect(result.columns).toEqual(['city', 'rides', 'revenue', 'first', 'zones']);
    expect(result.types[2]).toBe('DOUBLE');
    expect(result.rows).toHaveLength(2);
    expect(parseSqlResult([])).toEqual({ columns: [], types: [], rows: [] });
  });

  it('become objects keyed by column for --json, raw values kept', () => {
    expect(sqlRowsAsObjects(parseSqlResult(BODY))[1]).toEqual({ city: 'nyc', rides: 13, revenue: 188.45000000000005, first: '2026-12-01T08:09:45.892Z', zones: null });
  });

  it('print as a table with summation noise hidden, nulls blank and arrays as JSON', () => {
    expect(formatTable(sqlDisplayRows(parseSqlResult(BODY)), ['city', 'rides', 'revenue', 'first', 'zones']).split('\n')).toEqual([
      'city  rides  revenue  first                     zones',
      '----  -----  -------  ------------------------  ---------',
      'lon   85     1282.68  2026-12-01T08:14:29.277Z  ["a","b"]',
      'nyc   13     188.45   2026-12-01T08:09:45.892Z',
    ]);
  });

  it('keep every digit of a big integer and of a double that has them', () => {
    expect(formatSqlValue(9007199254740991, 'BIGINT')).toBe('9007199254740991');
    expect(formatSqlValue(0.1 + 0.2, 'DOUBLE')).toBe('0.3');
    expect(formatSqlValue(3.14159265358979, 'DOUBLE')).toBe('3.14159265358979');
    expect(formatSqlValue(true, 'BOOLEAN')).toBe('true');
  });

  it('refuse a body that is not an array of rows', () => {
    expect(() => parseSqlResult({ error: 'x' })).toThrow(/other than an array of rows/);
    expect(() => parseSqlResult([{ city: 'lon' }])).toThrow(/no column header/);
  });
});

describe('query context entries', () => {
  it('are key=value with JSON values where they parse, text otherwise', () => {
    expect(parseContextEntry('useApproximateCountDistinct=false')).toEqual(['useApproximateCountDistinct', false]);
    expect(parseContextEntry('timeout=60000')).toEqual(['timeout', 60000]);
    expect(parseContextEntry('sqlTimeZone=Europe/London')).toEqual(['sqlTimeZone', 'Europe/London']);
    expect(() => parseContextEntry('nokey')).toThrow(/not key=value/);
  });
});
