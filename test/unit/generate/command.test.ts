import { describe, expect, it, vi } from 'vitest';
import { createContext } from '../../../src/cli/context.js';
import { formatDuration } from '../../../src/cli/commands/generate.js';
import { main } from '../../../src/cli/main.js';
import { LiveStats } from '../../../src/generate/live-stats.js';
import type { RunProgress } from '../../../src/generate/runner.js';

/** What a person sees of `ridehail generate`: its help and its live line. */

async function output(...args: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const capture = (chunk: string | Uint8Array): boolean => {
    text += chunk.toString();
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const code = await main(['node', 'ridehail', ...args], createContext({ ...process.env, NO_COLOR: '1' }));
    return { code, text };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function progress(events: number, byTopic: Record<string, number>, eventTimeMs: number, openRides: number, driversOnline: number): RunProgress {
  return { events, records: events, byTopic, eventTimeMs, status: { timeMs: eventTimeMs, openRides, driversOnline, scheduled: 0, cities: [] } };
}

describe('ridehail generate --help', () => {
  it('shows duration defaults as durations (5m, 30s), not milliseconds', async () => {
    const { code, text } = await output('generate', '--help');
    expect(code).toBe(0);
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toMatch(/--late-by <d> how far \(in event time\) behind the stream late records are sent \(default: 5m\)/);
    expect(flat).toMatch(/--ping-interval <d> .* \(default: 30s\)/);
    expect(flat).not.toMatch(/300000|30000\b/);
    expect(flat).toMatch(/ridehail generate --clock sim --start 2026-01-05T00:00:00Z --duration 1d --seed 42 --out day.jsonl/);
  });

  it('turns bad values into one-line usage errors (exit 2)', async () => {
    expect((await output('generate', '--rate', 'fast')).code).toBe(2);
    const sum = await output('generate', '--out', '-', '--invalid-rate', '0.6', '--late-rate', '0.6');
    expect(sum.code).toBe(2);
    expect(sum.text.trim().split('\n')).toEqual(['error: --invalid-rate, --duplicate-rate and --late-rate add up to more than 1']);
    const city = await output('generate', '--out', '-', '--cities', 'atlantis');
    expect(city.code).toBe(2);
    expect(city.text).toMatch(/unknown city "atlantis" \(known: nyc, lon, par, ber, sao, tyo, mex, syd/);
  });
});

describe('formatDuration', () => {
  it('uses the largest unit that states the value exactly', () => {
    expect([300_000, 30_000, 86_400_000, 5_400_000, 1_500, 90_000].map(formatDuration)).toEqual(['5m', '30s', '1d', '90m', '1500ms', '90s']);
  });
});

describe('the live line', () => {
  it('shows records/s per topic, the achieved rate of event time against the target, open rides and drivers online', () => {
    const live = new LiveStats(200);
    const t0 = Date.parse('2026-01-05T08:00:00Z');
    expect(live.line(progress(0, {}, t0, 0, 0), 0)).toBeUndefined();
    const line = live.line(progress(2_400, { ride_events: 300, user_events: 100, vehicle_events: 2_000 }, t0 + 10_000, 1_234, 5_678), 2_000);
    expect(line).toBe(
      'ride_events 150/s · user_events 50.0/s · vehicle_events 1,000/s │ 240 ev/s of event time (target 200) │ open rides 1,234 │ drivers online 5,678 │ 2026-01-05T08:00:10Z',
    );
  });

  it('measures the present, not the average since the start', () => {
    const live = new LiveStats('max');
    const t0 = Date.parse('2026-01-05T08:00:00Z');
    live.line(progress(0, {}, t0, 0, 0), 0);
    live.line(progress(100_000, { vehicle_events: 100_000 }, t0 + 100_000, 10, 10), 1_000);
    const line = live.line(progress(110_000, { vehicle_events: 110_000 }, t0 + 200_000, 10, 10), 2_000)!;
    expect(line).toMatch(/^vehicle_events 10\.0k\/s │ 100 ev\/s of event time \(unpaced\)/);
  });
});
