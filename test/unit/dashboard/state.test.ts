import { describe, expect, it } from 'vitest';
import { DashboardState, startOfLocalDay } from '../../../src/dashboard/state.js';
import { cityWindow, zoneWindow, zonesAround } from './fixtures.js';

const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const MIN = 60_000;

describe('DashboardState', () => {
  it('keeps the newest revision of a window whatever order revisions arrive in', () => {
    const state = new DashboardState();
    expect(state.apply(cityWindow('nyc', T0, { rides_requested: 10, revision: 0 }), 0)).toBe('new');
    expect(state.apply(cityWindow('nyc', T0, { rides_requested: 12, revision: 2 }), 0)).toBe('revised');
    expect(state.apply(cityWindow('nyc', T0, { rides_requested: 11, revision: 1 }), 0)).toBe('stale');
    expect(state.apply(cityWindow('nyc', T0, { rides_requested: 99, revision: 2 }), 0)).toBe('stale');
    expect(state.cityPoints('nyc').map((p) => [p.requested, p.revision])).toEqual([[12, 2]]);
  });

  it('drops windows older than the retention, measured from the newest window', () => {
    const state = new DashboardState({ cityRetentionMs: 10 * MIN });
    for (let i = 0; i < 30; i += 1) state.apply(cityWindow('nyc', T0 + i * MIN), 0);
    expect(state.cityPoints('nyc')).toHaveLength(11);
    expect(state.apply(cityWindow('nyc', T0), 0)).toBe('expired');
  });

  it('computes the tiles over the span ending at the newest window', () => {
    const state = new DashboardState({ tileSpanMs: 5 * MIN });
    for (let i = 0; i < 10; i += 1) {
      state.apply(
        cityWindow('nyc', T0 + i * MIN, {
          rides_requested: i < 5 ? 100 : 10,
          rides_completed: 8,
          rides_cancelled: 2,
          revenue: 80,
          avg_wait_s: 120,
          avg_trip_s: 600,
          drivers_online: 50 + i,
          drivers_on_trip: 20 + i,
          utilisation: (20 + i) / (50 + i),
        }),
        0,
      );
    }
    const tiles = state.tiles('nyc', 'UTC');
    expect(tiles).not.toBeNull();
    expect(tiles).toMatchObject({
      spanMinutes: 5,
      requestsPerMinute: 10,
      completionRate: 0.8,
      cancellationRate: 0.2,
      avgWaitS: 120,
      avgFare: 10,
      driversOnline: 59,
      driversOnTrip: 29,
      currency: 'USD',
      windowStart: new Date(T0 + 9 * MIN).toISOString(),
    });
    // Little's law: 10 req/min × 2 min wait + 8 completions/min × 10 min trip.
    expect(tiles?.ridesInProgress).toBe(100);
  });

  it('counts a quiet minute inside the span instead of ignoring it', () => {
    const state = new DashboardState({ tileSpanMs: 4 * MIN });
    state.apply(cityWindow('nyc', T0, { rides_requested: 8 }), 0);
    state.apply(cityWindow('nyc', T0 + 3 * MIN, { rides_requested: 8 }), 0);
    expect(state.tiles('nyc')?.requestsPerMinute).toBe(4);
  });

  it('sums revenue today from local midnight in the city time zone', () => {
    const state = new DashboardState();
    // 03:00 UTC on 10 March is still 9 March in New York (UTC-4 after the DST change on the 8th).
    state.apply(cityWindow('nyc', Date.parse('2026-03-10T03:00:00.000Z'), { revenue: 100 }), 0);
    state.apply(cityWindow('nyc', Date.parse('2026-03-10T04:00:00.000Z'), { revenue: 40 }), 0);
    state.apply(cityWindow('nyc', Date.parse('2026-03-10T05:00:00.000Z'), { revenue: 2.5 }), 0);
    const newYork = state.tiles('nyc', 'America/New_York');
    expect(newYork?.revenueToday).toBe(42.5);
    expect(newYork?.dayStart).toBe('2026-03-10T04:00:00.000Z');
    expect(state.tiles('nyc', 'UTC')?.revenueToday).toBe(142.5);
  });

  it('returns no tiles for a city it has not seen', () => {
    expect(new DashboardState().tiles('nowhere')).toBeNull();
  });

  it('aggregates zones over the span: demand summed, supply from the newest window', () => {
    const state = new DashboardState({ tileSpanMs: 3 * MIN });
    const [a, b] = zonesAround(40.7128, -74.006, 1);
    for (let i = 0; i < 5; i += 1) {
      state.apply(zoneWindow('nyc', a!, T0 + i * MIN, { rides_requested: 3, drivers_online: i, avg_surge: 1.5, rides_completed: 1 }), 0);
    }
    state.apply(zoneWindow('nyc', b!, T0, { rides_requested: 7 }), 0);
    const zones = state.zones('nyc');
    expect(zones).toEqual([{ zone: a, demand: 9, supply: 4, surge: 1.5 }]);
  });

  it('tells which cities and windows changed since it was last asked', () => {
    const state = new DashboardState();
    state.apply(cityWindow('nyc', T0), 0);
    state.apply(cityWindow('nyc', T0 + MIN), 0);
    state.apply(zoneWindow('lon', zonesAround(51.5, -0.12, 0)[0]!, T0), 0);
    const dirty = state.takeDirty();
    expect([...(dirty.windows.get('nyc') ?? [])]).toEqual([T0, T0 + MIN]);
    expect([...dirty.zoneCities]).toEqual(['lon']);
    expect(state.takeDirty().windows.size).toBe(0);
    expect(state.cities()).toEqual(['lon', 'nyc']);
  });

  it('reports waiting before any record, live while they flow and stalled after the threshold', () => {
    const state = new DashboardState({ stallAfterMs: 30_000 });
    expect(state.status(1_000).state).toBe('waiting');
    state.apply(cityWindow('nyc', T0), 10_000);
    expect(state.status(39_999)).toMatchObject({ state: 'live', stalled: false, secondsSinceLastRecord: 29 });
    expect(state.status(40_000)).toMatchObject({ state: 'stalled', stalled: true, stallAfterS: 30, records: 1 });
    state.apply(cityWindow('nyc', T0 + MIN), 41_000);
    expect(state.status(41_500).state).toBe('live');
  });
});

describe('startOfLocalDay', () => {
  it('finds midnight in zones on either side of UTC and across a DST change', () => {
    expect(new Date(startOfLocalDay(Date.parse('2026-06-01T10:00:00Z'), 'UTC')).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(new Date(startOfLocalDay(Date.parse('2026-06-01T10:00:00Z'), 'Asia/Tokyo')).toISOString()).toBe('2026-05-31T15:00:00.000Z');
    expect(new Date(startOfLocalDay(Date.parse('2026-06-01T02:00:00Z'), 'America/Sao_Paulo')).toISOString()).toBe('2026-05-31T03:00:00.000Z');
    // 8 March 2026: New York springs forward at 02:00; midnight was still UTC-5.
    expect(new Date(startOfLocalDay(Date.parse('2026-03-08T20:00:00Z'), 'America/New_York')).toISOString()).toBe('2026-03-08T05:00:00.000Z');
  });
});
