import { Faker, allLocales, type LocaleDefinition, type Randomizer } from '@faker-js/faker';
import { hash128, Rng } from './random.js';

/**
 * Mimesis-style declarative documents on top of faker: a schema names each field by a faker path
 * (`f('person.fullName')`, like Mimesis' `Field('person.full_name')`), and `create(n, {seed, locale})`
 * produces n documents. Each document is seeded from (seed, key), so the profile of user X is the
 * same whichever other profiles a run happened to create before it.
 */

type AnyFunction = (...args: never[]) => unknown;

type ModuleKeys = {
  [K in keyof Faker]-?: Faker[K] extends AnyFunction ? never : Faker[K] extends object ? K : never;
}[keyof Faker];

/** The faker modules a field can name: person, phone, internet, vehicle, location… */
export type FakerModuleName = Exclude<ModuleKeys, 'rawDefinitions' | 'definitions'>;

type MethodKeys<M> = { [K in keyof M]-?: M[K] extends AnyFunction ? K : never }[keyof M] & string;

/** `module.method`, e.g. `person.fullName`; checked at compile time. */
export type FieldPath = { [M in FakerModuleName]: `${M}.${MethodKeys<Faker[M]>}` }[FakerModuleName];

type FieldFunction<P extends FieldPath> = P extends `${infer M extends FakerModuleName}.${infer F}`
  ? F extends keyof Faker[M]
    ? Faker[M][F] extends AnyFunction
      ? Faker[M][F]
      : never
    : never
  : never;

/** Calls the faker method at `path` with its own arguments and return type. */
export type Field = <P extends FieldPath>(
  path: P,
  ...args: Parameters<FieldFunction<P>>
) => ReturnType<FieldFunction<P>>;

export interface FieldContext {
  /** The seeded, localised faker behind `field`, for what a path cannot say (arrayElement of a list…). */
  readonly faker: Faker;
  readonly locale: string;
  /** The seed given to create/one, for nested schemas that should share it. */
  readonly seed: string | number;
  /** Which document this is: the index in `create`, or the key given to `one`. */
  readonly key: string;
}

export interface CreateOptions {
  seed: string | number;
  /** A faker locale code (en_US, fr, pt_BR…); default en. */
  locale?: string;
  /** Reference date for faker's relative dates (birthdates, past()…): fixed, so output is reproducible. */
  refDate?: Date | number;
}

export interface EntitySchema<T> {
  /** n documents, keyed 0…n-1. */
  create(count: number, options: CreateOptions): T[];
  /** The document for one key (e.g. a user id): the same for the same (seed, key, locale). */
  one(key: string, options: CreateOptions): T;
}

const DEFAULT_REF_DATE = Date.UTC(2026, 0, 1);

export function isFakerLocale(locale: string): boolean {
  return Object.hasOwn(allLocales, locale);
}

export function fakerLocales(): string[] {
  return Object.keys(allLocales).filter((code) => code !== 'base');
}

/**
 * faker's default randomizer is a Mersenne Twister, whose seeding fills 624 words: every document
 * is seeded afresh, so a driver's signup cost more in seeding than in everything else. sfc32 (our
 * Rng) seeds from four words.
 */
function sfcRandomizer(): Randomizer {
  let rng = new Rng(0, 0, 0, 1);
  // faker calls these detached from the object, so no `this`.
  return {
    next: () => rng.next(),
    seed: (seed) => {
      const [a = 0, b = 0, c = 0, d = 1] = typeof seed === 'number' ? hash128(String(seed)) : seed;
      rng = new Rng(a, b, c, d);
    },
  };
}

const fakers = new Map<string, Faker>();
const fieldCaches = new WeakMap<Faker, Map<string, (...args: unknown[]) => unknown>>();

/** One faker per locale, with English then the locale-free base as fallbacks for missing data. */
export function fakerFor(locale: string): Faker {
  let faker = fakers.get(locale);
  if (!faker) {
    const definitions = allLocales as Record<string, LocaleDefinition>;
    const primary = definitions[locale];
    if (!primary) throw new Error(`unknown faker locale "${locale}"`);
    const chain = [primary];
    if (locale !== 'en' && definitions.en) chain.push(definitions.en);
    if (definitions.base) chain.push(definitions.base);
    faker = new Faker({ locale: chain, randomizer: sfcRandomizer() });
    fakers.set(locale, faker);
  }
  return faker;
}

/** A `Field` over one faker instance; method lookups are resolved once per path. */
export function fieldOf(faker: Faker): Field {
  let cache = fieldCaches.get(faker);
  if (!cache) {
    cache = new Map();
    fieldCaches.set(faker, cache);
  }
  const methods = cache;
  const field = (path: string, ...args: unknown[]): unknown => {
    let method = methods.get(path);
    if (!method) {
      const [moduleName, methodName, extra] = path.split('.');
      const module = moduleName === undefined ? undefined : (faker as unknown as Record<string, unknown>)[moduleName];
      const fn =
        typeof module === 'object' && module !== null && methodName !== undefined && extra === undefined
          ? (module as Record<string, unknown>)[methodName]
          : undefined;
      if (typeof fn !== 'function') throw new Error(`"${path}" is not a faker field (expected module.method, e.g. person.fullName)`);
      method = (fn as (...a: unknown[]) => unknown).bind(module);
      methods.set(path, method);
    }
    return method(...args);
  };
  return field as unknown as Field;
}

export function schema<T>(define: (field: Field, context: FieldContext) => T): EntitySchema<T> {
  const build = (key: string, options: CreateOptions): T => {
    const locale = options.locale ?? 'en';
    const faker = fakerFor(locale);
    faker.seed(hash128([String(options.seed), locale, key].join('\u0000')));
    faker.setDefaultRefDate(options.refDate ?? DEFAULT_REF_DATE);
    return define(fieldOf(faker), { faker, locale, seed: options.seed, key });
  };
  return {
    create(count, options) {
      const documents: T[] = [];
      for (let i = 0; i < count; i++) documents.push(build(String(i), options));
      return documents;
    },
    one: build,
  };
}
