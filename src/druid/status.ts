import type { SupervisorStateEntry, SupervisorStatusPayload } from './client.js';
import { shortenMessage } from './errors.js';

/**
 * One supervisor as `ridehail druid status` shows it, from Druid's state list, the supervisor's
 * status report and the overlord's pending tasks. Pure.
 *
 * Druid counts a task it has created but not yet placed on a worker as active, and calls the
 * supervisor RUNNING and healthy meanwhile: with too few task slots a datasource never fills
 * while everything looks fine. Hence `waiting`, from the pending-task list.
 */
export interface SupervisorSummary {
  readonly id: string;
  readonly dataSource: string | null;
  readonly topic: string | null;
  readonly state: string;
  readonly detailedState: string | null;
  readonly healthy: boolean | null;
  readonly suspended: boolean;
  /** Records behind the topic's end; null when Druid has not measured it. */
  readonly lag: number | null;
  readonly tasks: { readonly reading: number; readonly waiting: number; readonly publishing: number };
  readonly recentErrors: readonly { readonly at: string | null; readonly message: string }[];
  /** Set when the status report itself could not be had. */
  readonly statusError?: string;
}

export function summarizeSupervisor(
  entry: SupervisorStateEntry,
  payload: SupervisorStatusPayload | undefined,
  pendingTaskIds: ReadonlySet<string>,
  statusError?: string,
): SupervisorSummary {
  const active = payload?.activeTasks ?? [];
  const waiting = active.filter((t) => pendingTaskIds.has(t.id)).length;
  const errors = (payload?.recentErrors ?? []).map((e) => {
    const kind = e.exceptionClass?.split('.').pop();
    const message = e.message ?? '';
    // Druid's message usually starts with the exception's class already.
    const text = kind !== undefined && !message.includes(kind) ? `${kind}: ${message}` : message;
    return { at: e.timestamp ?? null, message: shortenMessage(text || kind || 'unknown error', 200) };
  });
  const state = payload?.state ?? entry.state ?? 'UNKNOWN';
  const detailed = payload?.detailedState ?? entry.detailedState ?? null;
  return {
    id: entry.id,
    dataSource: payload?.dataSource ?? null,
    topic: payload?.stream ?? null,
    state,
    detailedState: detailed,
    healthy: payload?.healthy ?? entry.healthy ?? null,
    suspended: payload?.suspended ?? entry.suspended ?? false,
    lag: typeof payload?.aggregateLag === 'number' ? payload.aggregateLag : null,
    tasks: { reading: active.length - waiting, waiting, publishing: (payload?.publishingTasks ?? []).length },
    recentErrors: errors,
    ...(statusError !== undefined ? { statusError } : {}),
  };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A row of the status table: short, one line per supervisor. */
export function supervisorRow(s: SupervisorSummary): Record<string, string> {
  const tasks = [
    s.tasks.reading > 0 ? `${s.tasks.reading} reading` : '',
    s.tasks.waiting > 0 ? `${s.tasks.waiting} waiting for a slot` : '',
    s.tasks.publishing > 0 ? `${s.tasks.publishing} publishing` : '',
  ].filter(Boolean);
  const last = s.recentErrors.at(-1);
  return {
    supervisor: s.id,
    topic: s.topic ?? '',
    state: s.detailedState !== null && s.detailedState !== s.state ? `${s.state} (${s.detailedState})` : s.state,
    healthy: s.healthy === null ? '?' : s.healthy ? 'yes' : 'NO',
    lag: s.lag === null ? '' : fmt(s.lag),
    tasks: tasks.join(', ') || 'none',
    'last error': s.statusError ?? (last ? `${last.at ? `${last.at.slice(11, 19)} ` : ''}${last.message}` : ''),
  };
}

/** Druid's task slots against what running supervisors ask for, as a warning or nothing. */
export function slotWarning(capacity: number | undefined, wanted: number): string | undefined {
  if (capacity === undefined || wanted <= capacity) return undefined;
  return (
    `Druid has ${capacity} task slot(s) and its supervisors want ${wanted} (taskCount × replicas), so ${wanted - capacity} task(s) will wait ` +
    'for a slot and their datasources stay behind; give the workers more (druid.worker.capacity), or suspend a supervisor'
  );
}
