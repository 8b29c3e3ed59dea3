import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliContext } from '../context.js';
import { effectiveDatabaseUrl } from '../../config/config.js';
import { createKafka } from '../../kafka/client.js';
import { durationMs, positiveInt } from '../parse.js';
import { UsageError } from '../errors.js';
import { cityCatalogue } from '../../dashboard/cities.js';
import { postgresHistory } from '../../dashboard/history.js';
import { druidHistory, druidHistorySql } from '../../dashboard/druid-history.js';
import { KafkaMetricsSource } from '../../dashboard/metrics-source.js';
import { isLoopback, MAX_SERIES_HOURS, startDashboardServer } from '../../dashboard/server.js';

interface DashboardOptions {
  port: number;
  host: string;
  allowRemote?: boolean;
  stallAfter: number;
  chartHours: number;
  druid?: boolean;
  druidDatasource: string;
}

const HOUR = 3_600_000;

export function dashboardCommand(ctx: CliContext): Command {
  return new Command('dashboard')
    .description('serve a live dashboard of the fleet metrics: tiles, charts per city and a zone map, updated as metrics arrive')
    .option('-p, --port <port>', 'port to listen on', port, 18080)
    .option('--host <host>', 'address to bind; anything but loopback needs --allow-remote', '127.0.0.1')
    .option('--allow-remote', 'allow binding to a non-loopback address (the dashboard has no login)')
    .addOption(new Option('--stall-after <duration>', 'show "stream stalled" after this long without metrics').argParser(durationMs).default(90_000, '90s'))
    .option('--chart-hours <n>', `hours the live charts reach back (1-${MAX_SERIES_HOURS})`, hours, 3)
    .option('--druid', 'also offer history from Druid (on by itself when --druid-url, DRUID_URL or the config file names one)')
    .option('--druid-datasource <name>', 'the Druid datasource of enriched rides, as `ridehail druid submit` named it', 'enriched_rides')
    .addHelpText(
      'after',
      `
Reads ride_metrics_1m and ride_metrics_zone_1m with a single consumer (however many pages are
open), keeps the last day in memory, and takes hourly history from the warehouse (fct_rides) and,
when a Druid is configured, from Druid's enriched_rides too (the page then offers both). The
server is read-only; it answers GET and HEAD only.

Examples:
  $ ridehail dashboard                                 open http://127.0.0.1:18080
  $ ridehail dashboard --port 8080 --stall-after 2m
  $ ridehail dashboard --druid-url http://druid-router:8888   history from Druid as well
  $ ridehail dashboard --host 0.0.0.0 --allow-remote   reachable from other machines (no login!)`,
    )
    .action(async (opts: DashboardOptions, command: Command) => {
      const { config, sources } = ctx.config(command);
      const withDruid = opts.druid === true || sources['druidUrl']?.source !== 'default';
      // A bad datasource name is a usage error now, not a failed query on every page load.
      if (withDruid) {
        try {
          druidHistorySql(opts.druidDatasource);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      }
      const out = ctx.output(command);
      if (!isLoopback(opts.host) && !opts.allowRemote) {
        throw new UsageError(`--host ${opts.host} is not a loopback address; add --allow-remote to expose the dashboard`);
      }
      if (!isLoopback(opts.host)) {
        out.warn(`binding to ${opts.host}: anyone who can reach this address sees the fleet metrics (there is no login)`);
      }
      const catalogue = cityCatalogue(config.cities);
      if (catalogue.problem) out.warn(`ignoring the config file's cities: ${catalogue.problem}`);
      const shutdown = ctx.shutdownSignal();
      const source = new KafkaMetricsSource(createKafka(config.kafka, { clientId: 'ridehail-dashboard' }), {
        // A city's "today" can have begun up to a day ago; the charts need their span on top.
        cityLookbackMs: Math.max(26, opts.chartHours) * HOUR,
        zoneLookbackMs: 20 * 60_000,
        onProblem: (message) => out.warn(message),
      });
      const server = await startDashboardServer({
        source,
        host: opts.host,
        port: opts.port,
        cities: catalogue.cities,
        history: postgresHistory(effectiveDatabaseUrl(config)),
        ...(withDruid ? { druidHistory: druidHistory(config.druidUrl, opts.druidDatasource) } : {}),
        state: { stallAfterMs: opts.stallAfter },
        chartHours: opts.chartHours,
      }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') throw new UsageError(`port ${opts.port} on ${opts.host} is in use; pick another with --port`);
        throw error;
      });
      out.success(`dashboard on ${server.url}  (Ctrl-C to stop)`);
      if (withDruid) out.info(`history from the warehouse and from Druid at ${new URL(config.druidUrl).origin} (${opts.druidDatasource})`);
      await new Promise<void>((resolve) => {
        if (shutdown.aborted) return resolve();
        shutdown.addEventListener('abort', () => resolve(), { once: true });
      });
      await server.close();
      out.info('dashboard stopped');
    });
}

function port(raw: string): number {
  const value = positiveInt(raw);
  if (value > 65535) throw new InvalidArgumentError(`"${raw}" is not a port (1-65535).`);
  return value;
}

function hours(raw: string): number {
  const value = positiveInt(raw);
  if (value > MAX_SERIES_HOURS) throw new InvalidArgumentError(`"${raw}" is more than ${MAX_SERIES_HOURS} hours.`);
  return value;
}
