import { describe, expect, it } from 'vitest';
import { colorEnabled, formatTable } from '../../../src/cli/output.js';

const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;

describe('colour', () => {
  it('is on for a terminal, off for a pipe, and always off with NO_COLOR', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
  });
});

describe('tables', () => {
  it('aligns columns to the widest cell and leaves nulls blank', () => {
    const text = formatTable([
      { name: 'ride_events', partitions: 3, note: null },
      { name: 'x', partitions: 12, note: 'compacted' },
    ]);
    expect(text.split('\n')).toEqual([
      'name         partitions  note',
      '-----------  ----------  ---------',
      'ride_events  3',
      'x            12          compacted',
    ]);
  });
});
