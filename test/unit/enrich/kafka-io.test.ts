import { describe, expect, it } from 'vitest';
import { requestSized } from '../../../src/enrich/kafka-io.js';

describe('splitting a commit into requests', () => {
  it('a commit larger than a broker record batch goes out in several requests, in order, nothing lost', () => {
    const big = 'x'.repeat(100_000);
    const topics = [
      { topic: 'a', messages: Array.from({ length: 12 }, (_, i) => ({ key: `a${i}`, value: big })) },
      { topic: 'b', messages: [{ key: 'b0', value: 'small' }] },
    ];
    const chunks = [...requestSized(topics, 512 * 1024)];
    expect(chunks.length).toBe(3);
    for (const chunk of chunks) {
      const bytes = chunk.flatMap((t) => t.messages).reduce((n, m) => n + String(m.value).length, 0);
      expect(bytes).toBeLessThanOrEqual(512 * 1024);
    }
    expect(chunks.flatMap((c) => c.flatMap((t) => t.messages.map((m) => m.key)))).toEqual([...topics[0]!.messages.map((m) => m.key), 'b0']);
  });

  it('an empty commit sends nothing', () => {
    expect([...requestSized([])]).toEqual([]);
  });
});
