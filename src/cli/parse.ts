import { InvalidArgumentError } from 'commander';

// Option parsers for commander: they throw InvalidArgumentError, which commander turns into a
// one-line usage error with exit code 2.

export function positiveInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError(`"${raw}" is not a positive integer.`);
  return value;
}

export function nonNegativeInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError(`"${raw}" is not a non-negative integer.`);
  return value;
}

export function positiveNumber(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`"${raw}" is not a positive number.`);
  return value;
}

export function fraction(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new InvalidArgumentError(`"${raw}" is not a fraction between 0 and 1.`);
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "30s", "5m", "2h", "30d", or a bare number of seconds. */
export function durationMs(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) throw new InvalidArgumentError(`"${raw}" is not a duration (e.g. 500ms, 30s, 5m, 2h, 30d).`);
  const value = Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1_000);
  if (value <= 0) throw new InvalidArgumentError(`"${raw}" must be longer than zero.`);
  return value;
}

export function isoInstant(raw: string): Date {
  const date = new Date(raw);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(raw)) {
    throw new InvalidArgumentError(`"${raw}" is not an ISO date or date-time (e.g. 2026-01-05T00:00:00Z).`);
  }
  return date;
}
