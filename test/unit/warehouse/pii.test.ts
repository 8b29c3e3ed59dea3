import { describe, expect, it } from 'vitest';
import { hashPii, maskEmail, maskName, maskPhone, maskPlate, piiSalt, pseudonymiseEvent, DEV_PII_SALT } from '../../../src/warehouse/pii.js';

describe('pii', () => {
  it('hashes equal people equally however the source spelled them', () => {
    expect(hashPii('email', ' Ada@Example.org ', 's')).toBe(hashPii('email', 'ada@example.org', 's'));
    expect(hashPii('phone', '+1 (212) 555-0100', 's')).toBe(hashPii('phone', '+12125550100', 's'));
    expect(hashPii('name', 'Ada  Lovelace', 's')).toBe(hashPii('name', 'ada lovelace', 's'));
  });

  it('hashes differently under another salt and for another kind of value', () => {
    expect(hashPii('email', 'a@b.c', 's1')).not.toBe(hashPii('email', 'a@b.c', 's2'));
    expect(hashPii('name', 'x', 's')).not.toBe(hashPii('email', 'x', 's'));
    expect(hashPii('name', 'x', 's')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('masks names, phones, emails and plates without keeping them readable', () => {
    expect(maskName('Ada Lovelace')).toBe('A** L*******');
    expect(maskName('Al')).toBe('A**');
    expect(maskPhone('+1 212 555 0199')).toBe('***99');
    expect(maskEmail('ada.lovelace@example.org')).toBe('a***@example.org');
    expect(maskEmail('nonsense')).toBe('***');
    expect(maskPlate('NY-ABC 123')).toBe('N***3');
  });

  it('replaces every personal field of a signup and leaves other events alone', () => {
    const signup = {
      event_type: 'driver_signup', user_id: 'drv_1',
      profile: {
        name: 'Ada Lovelace', phone: '+44 20 7946 0958', email: 'ada@example.org', license_number: 'LIC-1',
        vehicle: { vehicle_id: 'veh_1', make: 'Mini', plate: 'AB12 CDE' },
      },
    };
    const out = pseudonymiseEvent('user_events', signup, 'salt');
    const text = JSON.stringify(out);
    for (const clear of ['Ada Lovelace', '7946', 'ada@example.org', 'LIC-1', 'AB12 CDE', 'AB12CDE']) expect(text).not.toContain(clear);
    expect(out['profile']).toMatchObject({ name_masked: 'A** L*******', vehicle: { vehicle_id: 'veh_1', make: 'Mini', plate_masked: 'A***E' } });
    const ride = { event_type: 'ride_requested', customer_id: 'cus_1' };
    expect(pseudonymiseEvent('ride_events', ride, 'salt')).toBe(ride);
  });

  it('uses RIDEHAIL_PII_SALT and says when it falls back to the development salt', () => {
    expect(piiSalt({ RIDEHAIL_PII_SALT: 'prod' })).toEqual({ salt: 'prod', isDefault: false });
    expect(piiSalt({})).toEqual({ salt: DEV_PII_SALT, isDefault: true });
  });
});
