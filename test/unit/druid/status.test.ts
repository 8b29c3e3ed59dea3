import { describe, expect, it } from 'vitest';
import { druidEndpoint } from '../../../src/druid/client.js';
import { slotWarning, summarizeSupervisor, supervisorRow } from '../../../src/druid/status.js';

// A status payload as Druid 33.0.0 reports a Kafka supervisor that cannot reach its brokers.
const UNREACHABLE = {
  dataSource: 'broken',
  stream: 'ride_metrics_1m',
  partitions: 0,
  state: 'UNHEALTHY_SUPERVISOR',
  detailedState: 'UNABLE_TO_CONNECT_TO_STREAM',
  healthy: false,
  suspended: false,
  aggregateLag: 0,
  activeTasks: [],
  publishingTasks: [],
  recentErrors: [
    {
      timestamp: '2026-12-01T11:29:00.459Z',
      exceptionClass: 'org.apache.kafka.common.errors.TimeoutException',
      message: 'org.apache.kafka.common.errors.TimeoutException: Timeout expired while fetching topic metadata',
    },
  ],
};

describe('a supervisor summary', () => {
  it('shows state, detailed state, health and the last error once, without the package name', () => {
    const s = summarizeSupervisor({ id: 'broken', state: 'RUNNING' }, UNREACHABLE, new Set());
    expect(supervisorRow(s)).toEqual({
      supervisor: 'broken',
      topic: 'ride_metrics_1m',
      state: 'UNHEALTHY_SUPERVISOR (UNABLE_TO_CONNECT_TO_STREAM)',
      healthy: 'NO',
      lag: '0',
      tasks: 'none',
      'last error': '11:29:00 TimeoutException: Timeout expired while fetching topic metadata',
    });
  });

  it('tells a task that waits for a slot from one that reads, though Druid calls both active and RUNNING', () => {
    const payload = {
      dataSource: 'ride_events', stream: 'ride_events', state: 'RUNNING', detailedState: 'RUNNING', healthy: true, aggregateLag: 1167,
      activeTasks: [{ id: 'index_kafka_ride_events_a' }], publishingTasks: [{ id: 'index_kafka_ride_events_old' }], recentErrors: [],
    };
    const s = summarizeSupervisor({ id: 'ride_events' }, payload, new Set(['index_kafka_ride_events_a']));
    expect(s.tasks).toEqual({ reading: 0, waiting: 1, publishing: 1 });
    expect(supervisorRow(s)).toMatchObject({ state: 'RUNNING', lag: '1,167', tasks: '1 waiting for a slot, 1 publishing', 'last error': '' });
  });

  it('still has a row when the status report could not be had', () => {
    const s = summarizeSupervisor({ id: 'gone', state: 'RUNNING', healthy: true }, undefined, new Set(), 'Cannot find any supervisor with id: [gone]');
    expect(supervisorRow(s)).toMatchObject({ supervisor: 'gone', state: 'RUNNING', healthy: 'yes', lag: '', 'last error': 'Cannot find any supervisor with id: [gone]' });
  });
});

describe('the task slot warning', () => {
  it('appears only when the supervisors want more slots than the workers have', () => {
    expect(slotWarning(8, 4)).toBeUndefined();
    expect(slotWarning(undefined, 40)).toBeUndefined();
    expect(slotWarning(2, 4)).toMatch(/Druid has 2 task slot\(s\) and its supervisors want 4 .* 2 task\(s\) will wait/);
  });
});

describe('the Druid URL', () => {
  it('turns user info into a Basic header, since fetch refuses credentials in a URL', () => {
    expect(druidEndpoint('https://admin:s%40cret@druid.example.com:8888/')).toEqual({
      baseUrl: 'https://druid.example.com:8888',
      authorization: `Basic ${Buffer.from('admin:s@cret').toString('base64')}`,
    });
    expect(druidEndpoint('http://127.0.0.1:18888')).toEqual({ baseUrl: 'http://127.0.0.1:18888' });
  });
});
