import type { SparseAggregate } from './windows.js';

/**
 * The internal records between the per-partition stage and the window merger.
 *
 * A partial is one input partition's share of one city's window (the city total and its zones);
 * a later partial from the same source for the same window replaces the earlier one. A progress
 * mark tells the merger how far a source has got: windows ending at or before `firedThroughMs`
 * have been sent, and those ending at or before `finalThroughMs` will never change again.
 * Partials of one city's window all go to one partition of the partials topic, chosen by hash, so
 * one merger instance sees every source's share; progress marks go to every partition.
 */
export interface PartialRecord {
  type: 'partial';
  source: string;
  city: string;
  windowStartMs: number;
  /** Per source and window, 0 on the first send, +1 on each correction. */
  seq: number;
  /** Sparse (windows.ts): a field left out is zero. Records of an older version carry every field. */
  total: SparseAggregate;
  zones: Record<string, SparseAggregate>;
}

export interface ProgressRecord {
  type: 'progress';
  source: string;
  firedThroughMs: number;
  finalThroughMs: number;
}

export type MergerInput = PartialRecord | ProgressRecord;

/** cyrb53: a fast 53-bit string hash; stable across processes, which is all partitioning needs. */
export function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export function partialsPartition(city: string, windowStartMs: number, partitions: number): number {
  return hash53(`${city}|${windowStartMs}`) % partitions;
}

export function partialKey(p: PartialRecord): string {
  return `${p.city}|${new Date(p.windowStartMs).toISOString()}|${p.source}`;
}
