import { describe, expect, it } from 'vitest';
import { BUILT_IN_CITIES, parseCityConfigs, type City } from '../../../src/generate/cities.js';
import { fakerLocales, isFakerLocale, schema } from '../../../src/generate/entity-schema.js';
import { profilesFor } from '../../../src/generate/profiles.js';
import { cityOf } from './support.js';

/** National phone styles, written from the numbering plans rather than read out of faker. */
const PHONE: Record<string, RegExp> = {
  en_US: /^(1-)?(\(\d{3}\) |\d{3}[-.])\d{3}[-.]\d{4}( x\d{3,5})?$/,
  en_GB: /^0\d{2,5} \d{3,6}( \d{3,4})?$/,
  fr: /^(0\d{9}|\+33 \d{9})$/,
  de: /^(\(0\d{3,4}\) \d{6,9}|\+49-\d{3,4}-\d{6,8})$/,
  pt_BR: /^(\+55 )?\(\d{2}\) \d{4,5}-\d{4}$/,
  ja: /^0\d{1,4}-\d{1,4}-\d{4}$/,
  es_MX: /^5\d{2,3}([ .-]?)\d{3}\1\d{3}$/,
  en_AU: /^(\+61 \d \d{4} \d{4}|0\d \d{4} \d{4}|\+61 4\d{2} \d{3} \d{3}|04\d{2} \d{3} \d{3})$/,
};

/** A city's plate pattern as a regular expression: `#` a digit, `?` a letter, `*` either. */
function plateRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '#' ? '\\d' : c === '?' ? '[A-Z]' : c === '*' ? '[A-Z0-9]' : c.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

const OPTIONS = (city: City) => ({ seed: 'profiles', locale: city.locale });

describe('the schema/field entity API', () => {
  const contact = schema((f, { key, locale }) => ({ key, locale, name: f('person.fullName'), phone: f('phone.number'), city: f('location.city') }));

  it('creates n documents from a declared schema, keyed 0 to n-1', () => {
    const docs = contact.create(25, { seed: 1 });
    expect(docs).toHaveLength(25);
    expect(docs.map((d) => d.key)).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
    expect(docs.every((d) => d.locale === 'en' && d.name.length > 0 && d.phone.length > 0)).toBe(true);
    expect(new Set(docs.map((d) => d.name)).size).toBeGreaterThan(20);
  });

  it('gives the same document for the same seed, key and locale, whatever was created before', () => {
    const alone = contact.one('drv_x', { seed: 's', locale: 'fr' });
    contact.create(50, { seed: 'other', locale: 'de' });
    expect(contact.one('drv_x', { seed: 's', locale: 'fr' })).toEqual(alone);
    expect(contact.create(3, { seed: 's', locale: 'fr' })).toEqual(contact.create(3, { seed: 's', locale: 'fr' }));
  });

  it('gives other documents for another seed or another key', () => {
    const base = contact.one('k', { seed: 's' });
    expect(contact.one('k', { seed: 't' })).not.toEqual(base);
    expect(contact.one('l', { seed: 's' })).not.toEqual(base);
  });

  it('refuses a field that is not a faker module.method, saying what it expects', () => {
    const broken = schema((f) => ({ x: (f as unknown as (path: string) => unknown)('person.nope') }));
    expect(() => broken.one('k', { seed: 1 })).toThrow(/"person.nope" is not a faker field \(expected module.method/);
    expect(() => contact.one('k', { seed: 1, locale: 'xx_YY' })).toThrow(/unknown faker locale "xx_YY"/);
  });

  it('knows which locales exist, so config cities can be checked', () => {
    expect(isFakerLocale('pt_BR')).toBe(true);
    expect(isFakerLocale('klingon')).toBe(false);
    expect(fakerLocales()).toEqual(expect.arrayContaining(BUILT_IN_CITIES.map((c) => c.locale)));
    expect(() => parseCityConfigs([{ ...ams(), locale: 'klingon' }])).toThrow(/not a faker locale/);
  });
});

function ams(): Record<string, unknown> {
  return {
    code: 'ams', name: 'Amsterdam', center: { lat: 52.37, lon: 4.9 }, radiusKm: 10, timeZone: 'Europe/Amsterdam',
    locale: 'nl', currency: 'EUR', rateCard: { base: 3, perKm: 1.2, perMinute: 0.3, minimum: 7.5 }, platePattern: '??-###-?',
  };
}

describe('driver and customer profiles, per city', () => {
  it.each(BUILT_IN_CITIES.map((c) => [c.code, c.locale] as const))("write phone numbers in %s's national style (%s)", (code) => {
    const city = cityOf(code);
    const profiles = profilesFor(city);
    const phones = [
      ...profiles.driver.create(150, OPTIONS(city)).map((d) => d.phone),
      ...profiles.customer.create(150, OPTIONS(city)).map((c) => c.phone),
    ];
    expect(phones.filter((p) => !PHONE[city.locale]!.test(p))).toEqual([]);
  });

  it('use different phone styles in different countries', () => {
    // Each pair of cities: some numbers of one do not fit the other's style.
    for (const a of BUILT_IN_CITIES) {
      const phones = profilesFor(a).customer.create(100, OPTIONS(a)).map((c) => c.phone);
      for (const b of BUILT_IN_CITIES) {
        if (b.locale === a.locale) continue;
        expect(phones.every((p) => PHONE[b.locale]!.test(p)), `${a.code} numbers all look like ${b.code}'s`).toBe(false);
      }
    }
  });

  it.each(BUILT_IN_CITIES.map((c) => [c.code, c.platePattern] as const))("put %s's plate format (%s) on its drivers' vehicles", (code, pattern) => {
    const city = cityOf(code);
    const plates = profilesFor(city).driver.create(100, OPTIONS(city)).map((d) => d.vehicle.plate);
    const re = plateRegExp(pattern);
    expect(plates.filter((p) => !re.test(p))).toEqual([]);
    expect(new Set(plates).size).toBeGreaterThan(90);
  });

  it('name people in the local script and keep e-mail addresses ASCII', () => {
    const tokyo = cityOf('tyo');
    const drivers = profilesFor(tokyo).driver.create(50, OPTIONS(tokyo));
    expect(drivers.filter((d) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(d.name)).length).toBeGreaterThan(45);
    const paulistas = profilesFor(cityOf('sao')).customer.create(50, OPTIONS(cityOf('sao')));
    expect(paulistas.every((c) => /^[\p{Script=Latin} .'-]+$/u.test(c.name))).toBe(true);
    for (const city of BUILT_IN_CITIES) {
      for (const person of profilesFor(city).customer.create(30, OPTIONS(city))) expect(person.email, city.code).toMatch(/^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/);
    }
  });

  it("prefer cash as often as the city's cash share says", () => {
    const mex = cityOf('mex');
    const nyc = cityOf('nyc');
    const cashShare = (city: City): number => profilesFor(city).customer.create(2_000, OPTIONS(city)).filter((c) => c.preferred_payment === 'cash').length / 2_000;
    expect(cashShare(mex)).toBeCloseTo(mex.cashShare, 1);
    expect(cashShare(nyc)).toBeCloseTo(nyc.cashShare, 1);
  });

  it('give a config city its own locale and plates', () => {
    const [amsterdam] = parseCityConfigs([ams()]);
    const drivers = profilesFor(amsterdam!).driver.create(30, OPTIONS(amsterdam!));
    expect(drivers.every((d) => /^[A-Z]{2}-\d{3}-[A-Z]$/.test(d.vehicle.plate))).toBe(true);
    expect(drivers.every((d) => d.vehicle.year >= 2017 && d.vehicle.year <= 2026)).toBe(true);
  });
});
