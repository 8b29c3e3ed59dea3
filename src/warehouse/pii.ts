import { createHmac } from 'node:crypto';

/**
 * Personal data never reaches Postgres in clear: the loader replaces it, before the COPY, with a
 * keyed hash (HMAC-SHA-256 under a salt kept outside the database, so equal values still join
 * but a dump of the warehouse cannot be reversed by hashing guesses) and a masked display form.
 * Pure.
 */
export const DEV_PII_SALT = 'ridehail-dev-salt-change-me';

export function piiSalt(env: NodeJS.ProcessEnv = process.env): { salt: string; isDefault: boolean } {
  const salt = env['RIDEHAIL_PII_SALT'];
  return salt ? { salt, isDefault: false } : { salt: DEV_PII_SALT, isDefault: true };
}

export type PiiKind = 'name' | 'phone' | 'email' | 'license' | 'plate';

/** Equal people must hash equally however the source spelled them. */
export function normalise(kind: PiiKind, value: string): string {
  switch (kind) {
    case 'phone':
      return value.replace(/[^\d+]/g, '');
    case 'email':
    case 'name':
      return value.trim().replace(/\s+/g, ' ').toLowerCase();
    case 'license':
    case 'plate':
      return value.replace(/[\s-]/g, '').toUpperCase();
  }
}

export function hashPii(kind: PiiKind, value: string, salt: string): string {
  return createHmac('sha256', salt).update(`${kind}:${normalise(kind, value)}`).digest('hex');
}

/** "Ada Lovelace" → "A** L*******": enough to tell records apart on a screen, not to identify. */
export function maskName(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .map((part) => (part.length === 0 ? part : `${part.slice(0, 1)}${'*'.repeat(Math.max(2, part.length - 1))}`))
    .join(' ');
}

/** Only the last two digits survive. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `***${digits.slice(-2)}`;
}

/** "jane.doe@example.com" → "j***@example.com". */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

export function maskPlate(plate: string): string {
  const compact = plate.replace(/[\s-]/g, '');
  return compact.length <= 2 ? '***' : `${compact.slice(0, 1)}***${compact.slice(-1)}`;
}

interface Profile {
  name?: unknown;
  phone?: unknown;
  email?: unknown;
  license_number?: unknown;
  vehicle?: unknown;
  [key: string]: unknown;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * A signup's profile with every personal field replaced by `<field>_hash` + `<field>_masked`
 * (licence numbers by a hash only, plates by a masked form only). Other fields pass through.
 */
export function pseudonymiseProfile(profile: Profile, salt: string): Record<string, unknown> {
  const { name, phone, email, license_number: license, vehicle, ...rest } = profile;
  const out: Record<string, unknown> = { ...rest };
  const nameStr = str(name);
  const phoneStr = str(phone);
  const emailStr = str(email);
  const licenseStr = str(license);
  if (nameStr !== undefined) Object.assign(out, { name_hash: hashPii('name', nameStr, salt), name_masked: maskName(nameStr) });
  if (phoneStr !== undefined) Object.assign(out, { phone_hash: hashPii('phone', phoneStr, salt), phone_masked: maskPhone(phoneStr) });
  if (emailStr !== undefined) Object.assign(out, { email_hash: hashPii('email', emailStr, salt), email_masked: maskEmail(emailStr) });
  if (licenseStr !== undefined) out['license_hash'] = hashPii('license', licenseStr, salt);
  if (vehicle !== undefined && vehicle !== null && typeof vehicle === 'object') {
    const { plate, ...vehicleRest } = vehicle as Record<string, unknown>;
    const plateStr = str(plate);
    out['vehicle'] = plateStr === undefined ? vehicleRest : { ...vehicleRest, plate_masked: maskPlate(plateStr) };
  }
  return out;
}

/** Events whose values carry a profile; everything else is stored as received. */
export function pseudonymiseEvent(topic: string, value: Record<string, unknown>, salt: string): Record<string, unknown> {
  if (topic !== 'user_events') return value;
  const profile = value['profile'];
  if (profile === null || typeof profile !== 'object') return value;
  return { ...value, profile: pseudonymiseProfile(profile as Profile, salt) };
}
