import { describe, expect, it } from 'vitest';
import { checksum, loadMigrations, migrationsDir, parseMigrationFiles, planMigrations } from '../../../src/warehouse/migrations.js';

describe('migration planning', () => {
  it('orders files by version and ignores anything not named NNNN_name.sql', () => {
    const parsed = parseMigrationFiles([
      { file: '0002_b.sql', sql: 'b' },
      { file: 'README.md', sql: '' },
      { file: '0001_a.sql', sql: 'a' },
      { file: '3_bad.sql', sql: '' },
    ]);
    expect(parsed.map((m) => `${m.version}:${m.name}`)).toEqual(['1:a', '2:b']);
  });

  it('refuses two files with the same version', () => {
    expect(() => parseMigrationFiles([{ file: '0001_a.sql', sql: 'a' }, { file: '0001_b.sql', sql: 'b' }])).toThrow(/share version 1/);
  });

  it('ignores line-ending differences in checksums', () => {
    expect(checksum('a\r\nb')).toBe(checksum('a\nb'));
    expect(checksum('a')).not.toBe(checksum('b'));
  });

  it('tells pending, edited and unknown migrations apart', () => {
    const known = parseMigrationFiles([{ file: '0001_a.sql', sql: 'a' }, { file: '0002_b.sql', sql: 'b' }, { file: '0003_c.sql', sql: 'c' }]);
    const at = new Date();
    const plan = planMigrations(known, [
      { version: 1, name: 'a', checksum: checksum('a'), appliedAt: at },
      { version: 2, name: 'b', checksum: checksum('b, edited'), appliedAt: at },
      { version: 9, name: 'future', checksum: 'x', appliedAt: at },
    ]);
    expect(plan.pending.map((m) => m.version)).toEqual([3]);
    expect(plan.modified).toEqual([{ version: 2, name: 'b' }]);
    expect(plan.unknown.map((m) => m.version)).toEqual([9]);
  });

  it('finds the shipped migrations from the source tree', () => {
    expect(migrationsDir()).toMatch(/src[\\/]warehouse[\\/]migrations$/);
    expect(loadMigrations().length).toBeGreaterThanOrEqual(4);
  });
});
