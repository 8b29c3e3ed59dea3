import { describe, expect, it } from 'vitest';
import { newClusterId } from '../../../src/local/stack.js';

describe('a new local cluster id', () => {
  it('is a 22-character base64url UUID', () => {
    expect(newClusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('never starts with a dash, which kafka-storage would read as a flag', () => {
    // 0xf8 encodes to '-' as the first base64url character.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    const id = newClusterId(() => draws.shift()!);
    expect(id.startsWith('-')).toBe(false);
    expect(draws).toHaveLength(0);
  });
});
