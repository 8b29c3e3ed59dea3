import { describe, expect, it } from 'vitest';
import { BUILT_IN_CITIES, cityIdTag, parseCityConfigs, selectCities } from '../../../src/generate/cities.js';
import { demandFactor, LocalClock, supplyFactor } from '../../../src/generate/demand.js';
import { AvailableDrivers, DISPATCH_MAX_RING } from '../../../src/generate/dispatch.js';
import { computeFare } from '../../../src/generate/fares.js';
import { destination, haversineKm, Zones } from '../../../src/generate/geo.js';
import { Rng } from '../../../src/generate/random.js';
import { surgeMultiplier } from '../../../src/generate/surge.js';

/** The pieces of the city model, each against a plain statement of what it should do. */

describe('dispatch', () => {
  it('picks the nearest idle driver, as a scan of every driver would', () => {
    const zones = new Zones(DISPATCH_MAX_RING);
    const rng = Rng.derive('dispatch');
    const center = { lat: 40.758, lon: -73.9855 };
    const drivers = Array.from({ length: 400 }, (_, i) => {
      const p = destination(center.lat, center.lon, rng.range(0, 360), rng.range(0, 8));
      return { id: i, lat: p.lat, lon: p.lon, zone: zones.at(p.lat, p.lon) };
    });
    const index = new AvailableDrivers<(typeof drivers)[number]>(zones);
    for (const d of drivers) index.add(d);
    for (let i = 0; i < 300; i++) {
      const p = destination(center.lat, center.lon, rng.range(0, 360), rng.range(0, 5));
      const found = index.nearest(p.lat, p.lon, zones.at(p.lat, p.lon))!;
      const best = Math.min(...drivers.map((d) => haversineKm(p.lat, p.lon, d.lat, d.lon)));
      expect(haversineKm(p.lat, p.lon, found.lat, found.lon)).toBeCloseTo(best, 3);
    }
  });

  it('never offers a driver who has been taken out of the index', () => {
    const zones = new Zones(DISPATCH_MAX_RING);
    const index = new AvailableDrivers<{ lat: number; lon: number; zone: number }>(zones);
    const a = { lat: 51.5, lon: -0.12, zone: zones.at(51.5, -0.12) };
    const b = { lat: 51.51, lon: -0.12, zone: zones.at(51.51, -0.12) };
    index.add(a);
    index.add(b);
    index.add(a);
    expect(index.size).toBe(2);
    expect(index.nearest(51.5, -0.12, a.zone)).toBe(a);
    expect(index.remove(a)).toBe(true);
    expect(index.nearest(51.5, -0.12, a.zone)).toBe(b);
    expect(index.remove(a)).toBe(false);
    expect(index.size).toBe(1);
  });
});

describe('demand, supply and surge', () => {
  it('peaks at the weekday commutes and late on weekend nights', () => {
    const weekday = Array.from({ length: 24 }, (_, h) => demandFactor(h, 2));
    const weekend = Array.from({ length: 24 }, (_, h) => demandFactor(h, 6));
    expect(weekday.indexOf(Math.max(...weekday))).toBe(18);
    expect(weekday[8]!).toBeGreaterThan(weekday[3]! * 5);
    expect(weekend[23]!).toBeGreaterThan(weekend[8]!);
    // Normalised: a day's mean is 1 whatever the weekday.
    expect(weekday.reduce((a, b) => a + b) / 24).toBeCloseTo(1, 6);
    expect(weekend.reduce((a, b) => a + b) / 24).toBeCloseTo(1, 6);
    // Supply is flatter than demand: short in the peak, long at night.
    expect(supplyFactor(18, 2)).toBeLessThan(demandFactor(18, 2));
    expect(supplyFactor(3, 2)).toBeGreaterThan(demandFactor(3, 2));
  });

  it('follows local time, daylight saving included', () => {
    const ny = new LocalClock('America/New_York');
    expect(ny.at(Date.parse('2026-01-05T13:30:00Z'))).toEqual({ hour: 8.5, weekday: 1 });
    expect(ny.at(Date.parse('2026-07-06T12:30:00Z'))).toEqual({ hour: 8.5, weekday: 1 });
    expect(new LocalClock('Asia/Tokyo').at(Date.parse('2026-01-04T23:00:00Z'))).toEqual({ hour: 8, weekday: 1 });
  });

  it('rises with requests per idle driver, in steps of 0.1, capped at 3', () => {
    expect(surgeMultiplier(3, 5)).toBe(1);
    expect(surgeMultiplier(10, 0)).toBe(3);
    expect(surgeMultiplier(8, 4)).toBe(1.5);
    expect(surgeMultiplier(100, 1)).toBe(3);
  });
});

describe('fares', () => {
  it('are base + per km + per minute, times surge, never below the minimum, in cents', () => {
    const card = { base: 2.5, perKm: 1.25, perMinute: 0.2, minimum: 6 };
    expect(computeFare(card, 'GBP', 2.34, 600, 1)).toEqual({ base: 2.5, distance: 2.93, time: 2, surge_multiplier: 1, total: 7.43, currency: 'GBP' });
    expect(computeFare(card, 'GBP', 2.34, 600, 1.5).total).toBe(11.15);
    expect(computeFare(card, 'GBP', 0.3, 60, 1).total).toBe(6);
    expect(computeFare({ base: 500, perKm: 320, perMinute: 60, minimum: 700 }, 'JPY', 5, 900, 1.2).total).toBe(3_600);
  });
});

describe('cities', () => {
  it('come built in, at least five real ones, each with its own currency and rate card', () => {
    expect(BUILT_IN_CITIES.length).toBeGreaterThanOrEqual(5);
    expect(new Set(BUILT_IN_CITIES.map((c) => c.currency)).size).toBeGreaterThanOrEqual(5);
    for (const c of BUILT_IN_CITIES) expect(c.rateCard.base + c.rateCard.perKm + c.rateCard.perMinute).toBeGreaterThan(0);
  });

  it('can be added or replaced in the config file, and refuse what is malformed', () => {
    const [ams] = parseCityConfigs([{ code: 'ams', center: { lat: 52.37, lon: 4.9 }, radiusKm: 10, timeZone: 'Europe/Amsterdam', locale: 'nl', currency: 'EUR', rateCard: { base: 3, perKm: 1.2, perMinute: 0.3, minimum: 7.5 } }]);
    expect(selectCities(['nyc', 'ams'], [ams!]).map((c) => c.code)).toEqual(['nyc', 'ams']);
    expect(() => parseCityConfigs([{ code: 'x' }])).toThrow(/cities\[0\]\.code: "x" must match/);
    expect(() => parseCityConfigs([{ ...ams!, currency: 'euro' }])).toThrow(/not an ISO 4217 code/);
    expect(() => parseCityConfigs([{ ...ams!, timeZone: 'Mars/Olympus' }])).toThrow(/not an IANA time zone/);
    expect(() => selectCities(['atlantis'])).toThrow(/unknown city "atlantis"/);
    // Ids carry the city without underscores, so two codes that differ only by them would collide.
    expect(cityIdTag('new_york')).toBe('7newyork');
    const [a, b] = parseCityConfigs([{ ...ams!, code: 'a_b' }, { ...ams!, code: 'ab' }]);
    expect(() => selectCities(['a_b', 'ab'], [a!, b!])).toThrow(/differ only by underscores/);
  });
});
