import { gridDisk, latLngToCell } from 'h3-js';
import type { RideMetrics } from '../../../src/contract/generated/ride_metrics.js';

const MINUTE = 60_000;

/** A valid city-level window; overrides adjust what a test is about. */
export function cityWindow(city: string, start: string | number, overrides: Partial<RideMetrics> = {}): RideMetrics {
  const startMs = typeof start === 'number' ? start : Date.parse(start);
  return {
    city,
    zone: null,
    window_start: new Date(startMs).toISOString(),
    window_end: new Date(startMs + MINUTE).toISOString(),
    rides_requested: 20,
    rides_completed: 16,
    rides_cancelled: 4,
    cancellation_rate: 0.2,
    revenue: 320,
    currency: 'USD',
    avg_fare: 20,
    p90_fare: 35,
    avg_wait_s: 240,
    avg_trip_s: 900,
    drivers_online: 100,
    drivers_on_trip: 60,
    utilisation: 0.6,
    avg_surge: 1.1,
    revision: 0,
    schema_version: 1,
    ...overrides,
  };
}

export function zoneWindow(city: string, zone: string, start: string | number, overrides: Partial<RideMetrics> = {}): RideMetrics {
  return cityWindow(city, start, {
    zone,
    rides_requested: 2,
    rides_completed: 2,
    rides_cancelled: 0,
    cancellation_rate: 0,
    revenue: 40,
    drivers_online: 5,
    drivers_on_trip: 3,
    ...overrides,
  });
}

/** Res-8 cells around a point, like the enrich stage's zones. */
export function zonesAround(lat: number, lon: number, rings = 3): string[] {
  return gridDisk(latLngToCell(lat, lon, 8), rings);
}

/** A plausible city stream: per-minute windows with a daily-ish wave, and zone windows. */
export function simulate(city: string, currency: string, lat: number, lon: number, fromMs: number, minutes: number, scale = 1): RideMetrics[] {
  const zones = zonesAround(lat, lon, 4);
  const out: RideMetrics[] = [];
  for (let i = 0; i < minutes; i += 1) {
    const start = fromMs + i * MINUTE;
    const wave = 1 + 0.35 * Math.sin(i / 25) + 0.1 * Math.sin(i / 3.7);
    const requested = Math.round(40 * scale * wave);
    const cancelled = Math.round(requested * (0.08 + 0.04 * Math.sin(i / 11)));
    const completed = requested - cancelled;
    const fare = 18 + 3 * Math.sin(i / 17);
    const online = Math.round(220 * scale * (1 + 0.15 * Math.sin(i / 40)));
    const onTrip = Math.round(online * (0.45 + 0.2 * wave - 0.2));
    out.push(
      cityWindow(city, start, {
        currency,
        rides_requested: requested,
        rides_completed: completed,
        rides_cancelled: cancelled,
        cancellation_rate: cancelled / (completed + cancelled),
        revenue: Math.round(completed * fare * 100) / 100,
        avg_fare: Math.round(fare * 100) / 100,
        avg_wait_s: Math.round(200 + 80 * Math.sin(i / 9)),
        avg_trip_s: 960,
        drivers_online: online,
        drivers_on_trip: onTrip,
        utilisation: onTrip / online,
      }),
    );
    if (i >= minutes - 15) {
      zones.forEach((zone, z) => {
        const hot = Math.max(0, Math.round(6 * Math.exp(-((z % 23) / 6)) + ((z * 7 + i) % 3)));
        out.push(
          zoneWindow(city, zone, start, {
            currency,
            rides_requested: hot,
            rides_completed: hot,
            rides_cancelled: 0,
            revenue: hot * 18,
            drivers_online: Math.max(1, 6 - (z % 5)),
            avg_surge: 1 + Math.round(((hot / 8) % 1) * 100) / 100,
          }),
        );
      });
    }
  }
  return out;
}
