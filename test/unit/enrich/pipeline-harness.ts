import { MemoryBroker, type MemorySource } from '../../../src/enrich/memory-io.js';
import { StageRunner } from '../../../src/enrich/runner.js';
import { SourcePartitionProcessor } from '../../../src/enrich/source-processor.js';
import { WindowMergeProcessor } from '../../../src/enrich/window-merger.js';
import { sumCounters, type Counters } from '../../../src/enrich/accounting.js';
import { timeZoneLookup } from '../../../src/enrich/time-zones.js';
import { h3Zone } from '../../../src/enrich/zones.js';
import type { EnrichSettings } from '../../../src/enrich/settings.js';
import type { RideMetrics } from '../../../src/contract/generated/ride_metrics.js';
import { keyOf } from './factories.js';
import type { RideEvent } from '../../../src/contract/generated/ride_events.js';
import type { VehicleEvent } from '../../../src/contract/generated/vehicle_events.js';

/** Both stages of enrich on the in-memory broker, with a hand-driven clock and crash/restart. */
export class Pipeline {
  readonly broker: MemoryBroker;
  nowMs: number;
  private sources!: StageRunner<SourcePartitionProcessor>;
  private merger!: StageRunner<WindowMergeProcessor>;
  private sourceInput!: MemorySource;
  private mergerInput!: MemorySource;

  constructor(
    readonly settings: EnrichSettings,
    partitions: number,
    startMs: number,
    private readonly batchSize = 7,
  ) {
    this.broker = new MemoryBroker(partitions);
    this.nowMs = startMs;
    this.start();
  }

  /** A new process: fresh runners and processors, state and positions from what was committed. */
  start(): void {
    const { settings, broker } = this;
    const t = settings.topics;
    const deps = { settings, zoneOf: h3Zone, timeZoneOf: timeZoneLookup([{ code: 'nyc', timeZone: 'America/New_York' }, { code: 'lon', timeZone: 'Europe/London' }]), partialsPartitions: broker.partitionsOf(t.partials) };
    const now = (): number => this.nowMs;
    const expected = [t.rides, t.vehicles].flatMap((topic) => Array.from({ length: broker.partitionsOf(topic) }, (_, p) => `${topic}/${p}`));
    this.sourceInput = broker.source('enrich', [t.rides, t.vehicles, t.users], this.batchSize);
    this.mergerInput = broker.source('enrich.windows', [t.partials], this.batchSize);
    this.sources = new StageRunner({ name: 'enrich', source: this.sourceInput, sink: broker.sink('enrich'), now, tickMs: 0, quietMs: settings.idleTimeoutMs, createProcessor: (tp) => new SourcePartitionProcessor(tp, deps) });
    this.merger = new StageRunner({ name: 'windows', source: this.mergerInput, sink: broker.sink('enrich.windows'), now, tickMs: 0, quietMs: settings.idleTimeoutMs, createProcessor: (tp) => new WindowMergeProcessor(tp, settings, expected) });
  }

  produce(events: (RideEvent | VehicleEvent)[]): void {
    const t = this.settings.topics;
    for (const event of events) {
      const topic = 'ride_id' in event ? t.rides : t.vehicles;
      this.broker.produce(topic, keyOf(event), JSON.stringify(event));
    }
  }

  /** Feeds everything committed so far through both stages; errors (simulated crashes) propagate. */
  async pump(): Promise<void> {
    await this.sourceInput.pump(this.sources);
    await this.mergerInput.pump(this.merger);
  }

  async advance(ms: number): Promise<void> {
    this.nowMs += ms;
    await this.sources.tickAll();
    await this.mergerInput.pump(this.merger);
    await this.merger.tickAll();
  }

  counters(): Counters {
    return sumCounters(this.sources.processors().map((p) => p.counters));
  }

  openRides(): number {
    return this.sources.processors().reduce((n, p) => n + p.openRides, 0);
  }

  /** The latest record per key, as a compacted topic or an upsert would keep it. */
  latestMetrics(topic: string): Map<string, RideMetrics> {
    const latest = new Map<string, RideMetrics>();
    for (const r of this.broker.records(topic)) latest.set(r.key!.toString(), JSON.parse(r.value!.toString()) as RideMetrics);
    return latest;
  }
}
