import { describe, expect, inject, it } from 'vitest';
import { findFreePort } from '../../src/local/free-port.js';
import { waitForKafka } from '../../src/local/kafka-health.js';

const brokers = inject('kafkaBrokers');

/** What `local up` waits for before it calls Kafka ready, against the test run's real broker. */
describe("local up's wait for Kafka", () => {
  it('is over once every bootstrap server lists the expected brokers', async () => {
    const info = await waitForKafka({ bootstrapServers: brokers, expectedBrokers: 1, timeoutMs: 10_000 });
    expect(info.clusterId).not.toBe('');
    expect(info.brokers).toHaveLength(1);
  });

  it('asks each bootstrap server itself: one that does not answer keeps the cluster not ready, by name', async () => {
    const silent = `127.0.0.1:${await findFreePort()}`;
    await expect(waitForKafka({ bootstrapServers: `${brokers},${silent}`, expectedBrokers: 1, timeoutMs: 1_500, intervalMs: 200 })).rejects.toThrow(
      new RegExp(`not ready after 2 s \\(${silent.replace(/\./g, '\\.')}: `),
    );
  });

  it('says how many of the expected brokers are registered when some are missing', async () => {
    await expect(waitForKafka({ bootstrapServers: brokers, expectedBrokers: 2, timeoutMs: 1_000, intervalMs: 200 })).rejects.toThrow(/\(1 of 2 brokers registered\)/);
  });
});
