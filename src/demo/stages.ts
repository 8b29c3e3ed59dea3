/**
 * Which long-running stages `ridehail demo` starts, with which arguments, and in which order they
 * start and stop. Pure, so the plan is testable without starting anything.
 */

export type StageName = 'enrich' | 'warehouse' | 'dashboard' | 'generate';

export interface DemoStage {
  readonly name: StageName;
  /** Arguments after `ridehail`. */
  readonly args: readonly string[];
  /** What the stage does, for the banner. */
  readonly role: string;
}

export interface DemoOptions {
  /** Target events per second of event time. */
  readonly rate: number;
  /** Event time runs this many times faster than the wall clock. */
  readonly speed: number;
  readonly port: number;
  readonly host: string;
  /** City codes, or undefined for every built-in city. */
  readonly cities?: readonly string[] | undefined;
  readonly seed?: string | undefined;
  /** The stack runs Druid too: the dashboard offers its history beside the warehouse's. */
  readonly druid?: boolean | undefined;
}

/**
 * With `--speed N` the generator's event time runs ahead of this machine's clock by (N-1) × the
 * time the demo has run; enrich refuses events from the future beyond `--max-future`, so the
 * bound has to leave room for a demo left running for a long while.
 */
export function maxFutureFor(speed: number): string {
  if (speed <= 1) return '1d';
  // A week of running at this speed, plus the default day of clock skew.
  return `${Math.ceil((speed - 1) * 7) + 1}d`;
}

/**
 * Consumers start before the generator so the first events are read as they arrive; the
 * dashboard before the generator so the page is there when the first window closes.
 */
export function planDemoStages(options: DemoOptions): DemoStage[] {
  const generate = ['generate', '--clock', 'wall', '--rate', String(options.rate)];
  if (options.speed !== 1) generate.push('--speed', String(options.speed));
  if (options.cities !== undefined && options.cities.length > 0) generate.push('--cities', options.cities.join(','));
  if (options.seed !== undefined) generate.push('--seed', options.seed);
  const dashboard = ['dashboard', '--port', String(options.port), '--host', options.host];
  if (!['127.0.0.1', 'localhost', '::1'].includes(options.host)) dashboard.push('--allow-remote');
  if (options.druid === true) dashboard.push('--druid');
  return [
    { name: 'enrich', role: 'cleans, joins and windows the events (exactly once)', args: ['enrich', '--max-future', maxFutureFor(options.speed)] },
    { name: 'warehouse', role: 'loads the Postgres warehouse as events arrive', args: ['warehouse', 'load', '--follow'] },
    { name: 'dashboard', role: 'serves the live page', args: dashboard },
    { name: 'generate', role: `simulates the cities at ${options.rate} events/s`, args: generate },
  ];
}

/**
 * The generator stops first so nothing new arrives, then each consumer drains and commits what
 * it holds, the page last so it shows the final numbers until the end.
 */
export function stopOrder<T extends { readonly name: string }>(stages: readonly T[]): T[] {
  const rank: Record<string, number> = { generate: 0, enrich: 1, warehouse: 2, dashboard: 3 };
  return [...stages].sort((a, b) => (rank[a.name] ?? 4) - (rank[b.name] ?? 4));
}

/** The dashboard prints `dashboard on <url>` once it listens. */
export function dashboardUrlIn(line: string): string | undefined {
  return /dashboard on (https?:\/\/\S+)/.exec(line)?.[1];
}
