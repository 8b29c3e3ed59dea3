import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../../src/warehouse/checks.js';
import { TRANSFORM_STEPS } from '../../../src/warehouse/transforms.js';

/**
 * SQL is built only from constants and parameters. A structural guard over the warehouse's
 * sources: no interpolated template literal and no string concatenation may contain SQL, except
 * the two statements assembled from this module's own constant identifier lists.
 */
const root = resolve(import.meta.dirname, '..', '..', '..');
const SQL = /\b(SELECT|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|COPY\s|WHERE|CREATE\s|DROP\s|ALTER\s|TRUNCATE|REFRESH)\b/;
/** Built from constant arrays declared in the same module; never from input. */
const ALLOWED = [
  'COPY ridehail.raw_events (${RAW_COPY_COLUMNS',
  "`SELECT '${t}' AS table_name, count(*)::bigint AS row_count FROM ridehail.${t}`",
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const files = [...sources(join(root, 'src', 'warehouse')), join(root, 'src', 'cli', 'commands', 'warehouse.ts')];

function interpolatedSql(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/`(?:[^`\\]|\\.)*`/gs)) {
    const literal = match[0];
    if (!literal.includes('${') || !SQL.test(literal)) continue;
    if (ALLOWED.some((allowed) => literal.includes(allowed))) continue;
    found.push(literal.slice(0, 80));
  }
  return found;
}

function concatenatedSql(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(['"`])((?:(?!\1)[^\\]|\\.)*)\1\s*\+|\+\s*(['"`])((?:(?!\3)[^\\]|\\.)*)\3/g)) {
    const literal = match[2] ?? match[4] ?? '';
    if (SQL.test(literal)) found.push(match[0].slice(0, 80));
  }
  return found;
}

describe('SQL is built only with parameters', () => {
  it('the guard catches SQL built from values', () => {
    expect(interpolatedSql('client.query(`SELECT * FROM t WHERE id = ${id}`)')).toHaveLength(1);
    expect(concatenatedSql("client.query('DELETE FROM t WHERE id = ' + id)")).toHaveLength(1);
    expect(interpolatedSql("client.query('SELECT * FROM t WHERE id = $1', [id])")).toEqual([]);
  });

  it('no template literal with ${…} contains SQL, outside the two constant-list statements', () => {
    const offenders = files.flatMap((file) => interpolatedSql(readFileSync(file, 'utf8')).map((l) => `${relative(root, file)}: ${l}`));
    expect(offenders).toEqual([]);
  });

  it('no SQL string is concatenated with +', () => {
    const offenders = files.flatMap((file) => concatenatedSql(readFileSync(file, 'utf8')).map((l) => `${relative(root, file)}: ${l}`));
    expect(offenders).toEqual([]);
  });

  it('every statement that takes input uses placeholders, and transforms take exactly the batch id', () => {
    for (const step of TRANSFORM_STEPS) {
      expect(step.sql, step.name).toMatch(/\$1\b/);
      expect(step.sql, step.name).not.toMatch(/\$[2-9]/);
    }
    // Checks take no input at all.
    for (const check of CHECKS) expect(check.sql, check.name).not.toMatch(/\$\d/);
  });

  it('no migration builds SQL dynamically', () => {
    const dir = join(root, 'src', 'warehouse', 'migrations');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
      const sql = readFileSync(join(dir, file), 'utf8');
      expect(sql, file).not.toMatch(/\bEXECUTE\b|\bformat\s*\(|quote_ident|quote_literal/i);
    }
  });
});
