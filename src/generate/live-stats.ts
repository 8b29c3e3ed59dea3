import type { RunProgress } from './runner.js';

/**
 * The live status line: records per second per topic (wall clock), the rate achieved in event
 * time against the target, open rides and drivers online. Rates are over the last refresh
 * interval, so the line shows the present rather than the run's average.
 */
export class LiveStats {
  private last: { wallMs: number; eventTimeMs: number | undefined; events: number; byTopic: Record<string, number> } | undefined;

  constructor(private readonly targetRate: number | 'max') {}

  line(progress: RunProgress, wallMs: number): string | undefined {
    const previous = this.last;
    this.last = { wallMs, eventTimeMs: progress.eventTimeMs, events: progress.events, byTopic: { ...progress.byTopic } };
    if (!previous || wallMs <= previous.wallMs) return undefined;
    const seconds = (wallMs - previous.wallMs) / 1000;
    const topics = Object.keys(progress.byTopic)
      .sort()
      .map((topic) => `${topic} ${formatRate(((progress.byTopic[topic] ?? 0) - (previous.byTopic[topic] ?? 0)) / seconds)}/s`)
      .join(' · ');
    const eventSpan =
      progress.eventTimeMs !== undefined && previous.eventTimeMs !== undefined ? (progress.eventTimeMs - previous.eventTimeMs) / 1000 : 0;
    const achieved = eventSpan > 0 ? `${formatRate((progress.events - previous.events) / eventSpan)} ev/s of event time` : '– ev/s of event time';
    const target = this.targetRate === 'max' ? 'unpaced' : `target ${formatRate(this.targetRate)}`;
    const at = progress.eventTimeMs === undefined ? '' : ` │ ${new Date(progress.eventTimeMs).toISOString().slice(0, 19)}Z`;
    return `${topics} │ ${achieved} (${target}) │ open rides ${progress.status.openRides.toLocaleString('en-US')} │ drivers online ${progress.status.driversOnline.toLocaleString('en-US')}${at}`;
  }
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(1)}k`;
  if (perSecond >= 100) return Math.round(perSecond).toLocaleString('en-US');
  return perSecond.toFixed(1);
}
