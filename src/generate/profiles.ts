import type { CustomerProfile, DriverProfile, VehicleProfile } from '../contract/generated/user_events.js';
import type { City } from './cities.js';
import { schema, type EntitySchema } from './entity-schema.js';

/** Cars ridehail drivers actually drive; make and model must agree, which faker's do not. */
const FLEET_MODELS: ReadonlyArray<{ make: string; model: string; seats: number }> = [
  { make: 'Toyota', model: 'Prius', seats: 4 },
  { make: 'Toyota', model: 'Camry', seats: 4 },
  { make: 'Toyota', model: 'Corolla', seats: 4 },
  { make: 'Toyota', model: 'RAV4', seats: 4 },
  { make: 'Toyota', model: 'Sienna', seats: 7 },
  { make: 'Honda', model: 'Accord', seats: 4 },
  { make: 'Honda', model: 'Civic', seats: 4 },
  { make: 'Hyundai', model: 'Ioniq', seats: 4 },
  { make: 'Kia', model: 'Niro', seats: 4 },
  { make: 'Tesla', model: 'Model 3', seats: 4 },
  { make: 'Tesla', model: 'Model Y', seats: 4 },
  { make: 'Skoda', model: 'Octavia', seats: 4 },
  { make: 'Volkswagen', model: 'Passat', seats: 4 },
  { make: 'Mercedes-Benz', model: 'E-Class', seats: 4 },
  { make: 'Ford', model: 'Galaxy', seats: 6 },
  { make: 'Chevrolet', model: 'Suburban', seats: 6 },
  { make: 'Nissan', model: 'Leaf', seats: 4 },
  { make: 'Peugeot', model: '508', seats: 4 },
];

export type VehicleFields = Omit<VehicleProfile, 'vehicle_id'>;
export type DriverFields = Omit<DriverProfile, 'vehicle'> & { vehicle: VehicleFields };

export interface CityProfiles {
  driver: EntitySchema<DriverFields>;
  customer: EntitySchema<CustomerProfile>;
}

const vehicleOf = (city: City, refYear: number) =>
  schema<VehicleFields>((f, { faker }) => {
    const car = faker.helpers.arrayElement(FLEET_MODELS);
    return {
      make: car.make,
      model: car.model,
      year: f('number.int', { min: refYear - 9, max: refYear }),
      color: f('vehicle.color'),
      plate: f('helpers.replaceSymbols', city.platePattern).toUpperCase(),
      seats: car.seats,
    };
  });

/** Profiles of one city's people, localised by its faker locale and plate format. */
export function profilesFor(city: City, refYear = 2026): CityProfiles {
  const vehicle = vehicleOf(city, refYear);
  const driver = schema<DriverFields>((f, context) => {
    const firstName = f('person.firstName');
    const lastName = f('person.lastName');
    return {
      name: `${firstName} ${lastName}`,
      phone: f('phone.number'),
      email: asciiEmail(f('internet.email', { firstName, lastName }), context.key),
      license_number: f('string.alphanumeric', { length: 10, casing: 'upper' }),
      // The vehicle shares the driver's seed, so it is as reproducible as the driver.
      vehicle: vehicle.one(`${context.key}/vehicle`, { seed: context.seed, locale: context.locale }),
    };
  });
  const customer = schema<CustomerProfile>((f, context) => {
    const firstName = f('person.firstName');
    const lastName = f('person.lastName');
    const cash = city.cashShare;
    const payment = context.faker.helpers.weightedArrayElement([
      { value: 'card' as const, weight: (1 - cash) * 0.75 },
      { value: 'wallet' as const, weight: (1 - cash) * 0.25 },
      { value: 'cash' as const, weight: Math.max(cash, 1e-6) },
    ]);
    return {
      name: f('person.fullName', { firstName, lastName }),
      phone: f('phone.number'),
      email: asciiEmail(f('internet.email', { firstName, lastName }), context.key),
      preferred_payment: payment,
    };
  });
  return { driver, customer };
}

/**
 * faker transliterates most scripts, but a name it cannot map may leave non-ASCII or an empty local
 * part, which an RFC 5321 mailbox (and the schema's format) rejects; fall back to the id then.
 */
function asciiEmail(email: string, key: string): string {
  const [local, domain] = email.split('@');
  const cleanLocal = (local ?? '').normalize('NFKD').replace(/[^A-Za-z0-9._+-]/g, '').replace(/^\.+|\.+$/g, '').replace(/\.{2,}/g, '.');
  const cleanDomain = domain && /^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(domain) ? domain : 'example.com';
  const safeKey = key.replace(/[^A-Za-z0-9]/g, '');
  return `${cleanLocal.length > 0 ? cleanLocal : `user.${safeKey}`}@${cleanDomain}`;
}
