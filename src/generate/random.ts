/**
 * Seeded randomness. Every entity draws from its own stream derived from hash(seed, id), so a
 * ride's choices (pickup, patience, payment, rating…) do not shift when an unrelated part of the
 * simulation draws one number more or less, and a seed reproduces a run byte for byte.
 */

/** 128 bits of a string, as four 32-bit words (cyrb128: fast, well mixed, not cryptographic). */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A 32-bit hash of the joined parts; `\u0000` keeps ("ab","c") apart from ("a","bc"). */
export function hash32(...parts: string[]): number {
  return hash128(parts.join('\u0000'))[0];
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** sfc32: small, fast, passes PractRand to 2^40+; ample for a simulation. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0 || 1;
    // The first outputs of sfc32 still echo the seed words; discard them.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** The stream for one id under one run seed. */
  static derive(seed: string, ...parts: string[]): Rng {
    const [a, b, c, d] = hash128([seed, ...parts].join('\u0000'));
    return new Rng(a, b, c, d);
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Index drawn with the given non-negative weights. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] ?? 0;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Standard normal (Box–Muller; one value per call keeps the stream position simple). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean: waiting times of a Poisson process. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Log-normal given its median and the sd of its log: right-skewed durations and distances. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }

  /** A version-4 UUID from this stream, so event ids are reproducible too. */
  uuid(): string {
    const w0 = this.nextU32();
    const w1 = this.nextU32();
    const w2 = this.nextU32();
    const w3 = this.nextU32();
    return (
      HEX[w0 >>> 24]! + HEX[(w0 >>> 16) & 0xff]! + HEX[(w0 >>> 8) & 0xff]! + HEX[w0 & 0xff]! + '-' +
      HEX[w1 >>> 24]! + HEX[(w1 >>> 16) & 0xff]! + '-' +
      HEX[((w1 >>> 8) & 0x0f) | 0x40]! + HEX[w1 & 0xff]! + '-' +
      HEX[((w2 >>> 24) & 0x3f) | 0x80]! + HEX[(w2 >>> 16) & 0xff]! + '-' +
      HEX[(w2 >>> 8) & 0xff]! + HEX[w2 & 0xff]! +
      HEX[w3 >>> 24]! + HEX[(w3 >>> 16) & 0xff]! + HEX[(w3 >>> 8) & 0xff]! + HEX[w3 & 0xff]!
    );
  }
}

/** A fresh seed for runs without --seed; printed in the manifest so they can be replayed. */
export function randomSeed(): string {
  return Math.floor(Math.random() * 2 ** 32).toString(36) + Math.floor(Math.random() * 2 ** 32).toString(36);
}

/** A short tag that keeps ids of runs with different seeds apart in one topic. */
export function runTag(seed: string): string {
  return (hash32('run-tag', seed) % 36 ** 4).toString(36).padStart(4, '0');
}
