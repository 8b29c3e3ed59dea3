import { describe, expect, it } from 'vitest';
import { cityCatalogue } from '../../../src/dashboard/cities.js';

describe('cityCatalogue', () => {
  it('offers the built-in cities with what the map and "revenue today" need', () => {
    const { cities, problem } = cityCatalogue();
    expect(problem).toBeUndefined();
    const nyc = cities.find((c) => c.code === 'nyc');
    expect(nyc).toMatchObject({ name: 'New York', currency: 'USD', timeZone: 'America/New_York' });
    expect(nyc?.radiusKm).toBeGreaterThan(0);
    expect(nyc?.lat).toBeCloseTo(40.76, 1);
  });

  it('adds cities from the config file and keeps the built-ins when those are invalid', () => {
    const extra = {
      code: 'ams', name: 'Amsterdam', center: { lat: 52.3676, lon: 4.9041 }, radiusKm: 10, timeZone: 'Europe/Amsterdam',
      locale: 'nl', currency: 'EUR', rateCard: { base: 3, perKm: 1.2, perMinute: 0.3, minimum: 7.5 }, weight: 0.4,
      avgSpeedKmh: 22, platePattern: '??-###-?', cashShare: 0.05,
    };
    expect(cityCatalogue([extra]).cities.find((c) => c.code === 'ams')).toMatchObject({ name: 'Amsterdam', timeZone: 'Europe/Amsterdam' });
    const broken = cityCatalogue([{ code: 'Bad Code!' }]);
    expect(broken.problem).toBeDefined();
    expect(broken.cities.some((c) => c.code === 'nyc')).toBe(true);
  });
});
