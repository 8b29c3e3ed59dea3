import { describe, expect, it } from 'vitest';
import { dashboardUrlIn, maxFutureFor, planDemoStages, stopOrder } from '../../../src/demo/stages.js';
import { durationMs } from '../../../src/cli/parse.js';

const base = { rate: 500, speed: 1, port: 18080, host: '127.0.0.1' };

describe('the demo plan', () => {
  it('starts the consumers and the page before the generator, so the first events are read as they arrive', () => {
    expect(planDemoStages(base).map((s) => s.name)).toEqual(['enrich', 'warehouse', 'dashboard', 'generate']);
  });

  it('stops the generator first and the page last, so what was produced is drained and shown', () => {
    expect(stopOrder(planDemoStages(base)).map((s) => s.name)).toEqual(['generate', 'enrich', 'warehouse', 'dashboard']);
  });

  it('runs the generator on the wall clock at the asked rate, speed, cities and seed', () => {
    const generate = planDemoStages({ ...base, rate: 120, speed: 20, cities: ['nyc', 'lon'], seed: 'abc' }).find((s) => s.name === 'generate')!;
    expect(generate.args).toEqual(['generate', '--clock', 'wall', '--rate', '120', '--speed', '20', '--cities', 'nyc,lon', '--seed', 'abc']);
  });

  it('keeps the warehouse loader following the stream instead of stopping when idle', () => {
    expect(planDemoStages(base).find((s) => s.name === 'warehouse')!.args).toEqual(['warehouse', 'load', '--follow']);
  });

  it('passes --allow-remote to the dashboard only when the host is not loopback', () => {
    const args = (host: string) => planDemoStages({ ...base, host }).find((s) => s.name === 'dashboard')!.args;
    expect(args('127.0.0.1')).not.toContain('--allow-remote');
    expect(args('0.0.0.0')).toContain('--allow-remote');
  });

  it('offers Druid history on the page only when the stack runs Druid', () => {
    const args = (druid: boolean) => planDemoStages({ ...base, druid }).find((s) => s.name === 'dashboard')!.args;
    expect(args(false)).not.toContain('--druid');
    expect(args(true)).toContain('--druid');
  });

  it("widens enrich's future bound with --speed so a week-long fast demo is not sent to the DLQ", () => {
    expect(maxFutureFor(1)).toBe('1d');
    const speed = 20;
    const week = 7 * 86_400_000;
    // After a week of wall time, event time is (speed - 1) weeks ahead of the machine's clock.
    expect(durationMs(maxFutureFor(speed))).toBeGreaterThan((speed - 1) * week);
    const enrich = planDemoStages({ ...base, speed }).find((s) => s.name === 'enrich')!;
    expect(enrich.args).toEqual(['enrich', '--max-future', maxFutureFor(speed)]);
  });

  it("finds the dashboard's address in its start-up line and nowhere else", () => {
    expect(dashboardUrlIn('dashboard on http://127.0.0.1:18080  (Ctrl-C to stop)')).toBe('http://127.0.0.1:18080');
    expect(dashboardUrlIn('dashboard stopped')).toBeUndefined();
  });
});
