import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate, type SchemaId } from '../../../src/contract/validate.js';
import type { GenerateSummary } from '../../../src/generate/job.js';
import type { Manifest } from '../../../src/generate/manifest.js';
import type { OutRecord } from '../../../src/generate/records.js';
import { run } from './support.js';

/**
 * Fault injection, accounted for record by record: a run with every kind of fault against the
 * same run (same seed) without any. Fault injection draws from its own random stream, so the
 * clean events of both runs are the same events.
 */

const dir = mkdtempSync(join(tmpdir(), 'ridehail-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EVENTS = 25_000;
const LATE_BY_MS = 120_000;
const base = { seed: 'faults', count: EVENTS, rate: 50, cities: undefined } as const;

interface Run {
  records: OutRecord[];
  summary: GenerateSummary;
  manifest: Manifest;
}

async function runWithManifest(name: string, faults: { invalidRate: number; duplicateRate: number; lateRate: number }): Promise<Run> {
  const manifestPath = join(dir, `${name}.json`);
  const { cities: _ignored, ...rest } = base;
  const { records, summary } = await run({ ...rest, ...faults, lateByMs: LATE_BY_MS, manifestPath });
  return { records, summary, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest };
}

let clean: Run;
let faulty: Run;

beforeAll(async () => {
  clean = await runWithManifest('clean', { invalidRate: 0, duplicateRate: 0, lateRate: 0 });
  faulty = await runWithManifest('faulty', { invalidRate: 0.02, duplicateRate: 0.02, lateRate: 0.02 });
}, 60_000);

type Verdict = { ok: true; id: string; timeMs: number } | { ok: false; why: string; id: string | undefined };

/** What a downstream consumer would make of a record: usable, or broken and why. */
function judge(record: OutRecord, streamMs: number): Verdict {
  let value: { event_id?: unknown; event_time?: unknown };
  try {
    value = JSON.parse(record.value) as typeof value;
  } catch {
    return { ok: false, why: 'not JSON', id: undefined };
  }
  const id = typeof value.event_id === 'string' ? value.event_id : undefined;
  const result = validate(`${record.topic}.schema.json` as SchemaId, value);
  if (!result.ok) return { ok: false, why: `schema: ${result.errors.join('; ')}`, id };
  const timeMs = Date.parse(String(value.event_time));
  // Valid to the schema but impossible: far ahead of everything else in the stream.
  if (Number.isFinite(streamMs) && timeMs > streamMs + 86_400_000) return { ok: false, why: 'from the future', id };
  return { ok: true, id: id!, timeMs };
}

/** Verdicts for a whole stream, judged as a consumer reading it in order would. */
function judgeAll(records: readonly OutRecord[]): Verdict[] {
  let streamMs = -Infinity;
  return records.map((record) => {
    const verdict = judge(record, streamMs);
    if (verdict.ok) streamMs = Math.max(streamMs, verdict.timeMs);
    return verdict;
  });
}

describe('fault injection', () => {
  it('leaves every record schema-valid, and the manifest empty, without fault flags', () => {
    expect(clean.manifest.faults).toEqual({ counts: { invalid: 0, duplicate: 0, late: 0 }, records: [] });
    let streamMs = -Infinity;
    const broken = clean.records.flatMap((r) => {
      const verdict = judge(r, streamMs);
      if (verdict.ok) streamMs = Math.max(streamMs, verdict.timeMs);
      return verdict.ok ? [] : [verdict.why];
    });
    expect(broken).toEqual([]);
    expect(clean.records).toHaveLength(EVENTS);
  });

  it('lists every broken record in the manifest, in the order they were sent', () => {
    const invalid = faulty.manifest.faults.records.filter((f) => f.kind === 'invalid');
    expect(invalid.length).toBeGreaterThan(EVENTS * 0.01);
    let streamMs = -Infinity;
    const broken: { record: OutRecord; verdict: Verdict }[] = [];
    for (const record of faulty.records) {
      const verdict = judge(record, streamMs);
      if (verdict.ok) streamMs = Math.max(streamMs, verdict.timeMs);
      else broken.push({ record, verdict });
    }
    expect(broken).toHaveLength(invalid.length);
    broken.forEach(({ record, verdict }, i) => {
      const entry = invalid[i]!;
      expect({ topic: record.topic, key: record.key }).toEqual({ topic: entry.topic, key: entry.key });
      // A truncated record may have lost its id; every other broken record carries the listed one.
      if (verdict.id !== undefined) expect(verdict.id).toBe(entry.event_id);
      const kind = verdict.ok ? '' : verdict.why;
      if (entry.reason.startsWith('not JSON')) expect(kind).toBe('not JSON');
      else if (entry.reason.startsWith('fails its schema') || entry.reason.startsWith('impossible: negative')) expect(kind).toMatch(/^schema/);
      else expect(kind).toBe('from the future');
    });
    const reasons = new Set(invalid.map((f) => f.reason.split(':')[0]));
    expect([...reasons].sort()).toEqual(['fails its schema', 'impossible', 'not JSON']);
  });

  it('lists every duplicate: the same bytes and event_id again, shortly after the original', () => {
    const duplicates = faulty.manifest.faults.records.filter((f) => f.kind === 'duplicate');
    expect(duplicates.length).toBeGreaterThan(EVENTS * 0.01);
    const lateIds = new Set(faulty.manifest.faults.records.filter((f) => f.kind === 'late').map((f) => f.event_id));
    // For each record, how many clean records had gone out on time before it.
    const firstAt = new Map<string, { index: number; onTime: number }>();
    const again: { id: string; between: number; same: boolean }[] = [];
    let onTime = 0;
    judgeAll(faulty.records).forEach((verdict, index) => {
      if (!verdict.ok) return;
      const first = firstAt.get(verdict.id);
      if (first === undefined) {
        firstAt.set(verdict.id, { index, onTime });
        if (!lateIds.has(verdict.id)) onTime++;
      } else {
        again.push({ id: verdict.id, between: onTime - first.onTime - 1, same: faulty.records[first.index]!.value === faulty.records[index]!.value });
      }
    });
    expect(again.map((d) => d.id)).toEqual(duplicates.map((d) => d.event_id));
    expect(again.every((d) => d.same)).toBe(true);
    // "Shortly after": at most 50 clean records later, as the manifest's reasons say.
    expect(Math.max(...again.map((d) => d.between))).toBeLessThanOrEqual(50);
    for (const d of duplicates) expect(d.reason).toMatch(/^same record sent again ([1-9]|[1-4]\d|50) records later$/);
  });

  it('lists every late record, sent once the stream is --late-by past it (or at the end of the run)', () => {
    const late = faulty.manifest.faults.records.filter((f) => f.kind === 'late');
    expect(late.length).toBeGreaterThan(EVENTS * 0.01);
    const lateIds = new Set(late.map((f) => f.event_id));
    const seen = new Set<string>();
    const sentLate: string[] = [];
    // A late record goes out just before the on-time record that moved the stream past it.
    let waiting: { id: string; dueMs: number }[] = [];
    let early = 0;
    let outOfOrder = 0;
    let streamMs = -Infinity;
    for (const verdict of judgeAll(faulty.records)) {
      if (!verdict.ok || seen.has(verdict.id)) continue;
      seen.add(verdict.id);
      if (lateIds.has(verdict.id)) {
        sentLate.push(verdict.id);
        waiting.push({ id: verdict.id, dueMs: verdict.timeMs + LATE_BY_MS });
        continue;
      }
      early += waiting.filter((w) => verdict.timeMs < w.dueMs).length;
      waiting = [];
      // Everything else (first copies of clean records) keeps the stream's event-time order.
      if (verdict.timeMs < streamMs) outOfOrder++;
      streamMs = verdict.timeMs;
    }
    const atEnd = waiting.length;
    expect(early).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(sentLate).toEqual(late.map((f) => f.event_id));
    expect(atEnd).toBe(late.filter((f) => f.reason.includes('(end of run)')).length);
  });

  it('keeps the clean stream exact: the same events as without faults, plus only what the manifest lists', () => {
    const { counts } = faulty.manifest.faults;
    expect(faulty.records).toHaveLength(EVENTS + counts.invalid + counts.duplicate);
    expect(faulty.manifest.totals).toMatchObject({ events: EVENTS, records: faulty.records.length });
    expect(faulty.summary.faults).toEqual(counts);
    // Broken copies and second copies left out, what remains is the run without faults.
    const seen = new Set<string>();
    const verdicts = judgeAll(faulty.records);
    const cleanValues = faulty.records.filter((_, i) => {
      const verdict = verdicts[i]!;
      if (!verdict.ok || seen.has(verdict.id)) return false;
      seen.add(verdict.id);
      return true;
    });
    expect(cleanValues.map((r) => r.value).sort()).toEqual(clean.records.map((r) => r.value).sort());
    expect(faulty.manifest.totals.by_topic).toEqual(clean.manifest.totals.by_topic);
    expect(faulty.manifest.cities).toEqual(clean.manifest.cities);
  });
});
