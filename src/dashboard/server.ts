import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RideMetrics } from '../contract/generated/ride_metrics.js';
import { CITY_CODE, type DashboardCity } from './cities.js';
import { zoneGeometry, type ZoneGeometry } from './hexagons.js';
import type { HistoryProvider, HistorySource } from './history.js';
import type { MetricsSource } from './metrics-source.js';
import { DashboardState, ZONE_METRICS, type StateOptions } from './state.js';

/**
 * The dashboard's HTTP side. One metrics subscription feeds one in-memory state; every page gets
 * its data from that state, pushed over server-sent events. Work per push is per city, not per
 * viewer: each changed city's update is serialised once and the same bytes go to all its viewers.
 * Read-only by construction: only GET and HEAD are routed.
 */

export interface DashboardServerOptions {
  source: MetricsSource;
  host?: string;
  port?: number;
  cities?: DashboardCity[];
  /** Hourly history from the warehouse (fct_rides). */
  history?: HistoryProvider;
  /** The same history from Druid's enriched_rides, when a Druid is configured. */
  druidHistory?: HistoryProvider;
  state?: Partial<StateOptions>;
  /** How long the charts reach back from the newest window, in hours. */
  chartHours?: number;
  /** Coalesces bursts of records into at most one push per city per interval. */
  pushIntervalMs?: number;
  /** How often every page is told the stream's state, so a stall shows even when nothing arrives. */
  statusIntervalMs?: number;
  maxClients?: number;
  now?: () => number;
}

export interface DashboardServer {
  url: string;
  port: number;
  host: string;
  state: DashboardState;
  clients(): number;
  close(): Promise<void>;
}

export const MAX_HISTORY_HOURS = 48;
export const MAX_SERIES_HOURS = 26;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Resolves from src/dashboard (tests) and dist/dashboard (built) alike: both sit two below the package root. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PUBLIC_DIR = join(PACKAGE_ROOT, 'src', 'dashboard', 'public');

const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: join(PUBLIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: join(PUBLIC_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: join(PUBLIC_DIR, 'favicon.svg'), type: 'image/svg+xml' },
  '/vendor/uplot.iife.min.js': { file: join(UPLOT_DIR, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uplot.min.css': { file: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'geolocation=(), camera=(), microphone=()',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

interface SseClient {
  res: ServerResponse;
  city: string;
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const chartHours = options.chartHours ?? 3;
  const maxClients = options.maxClients ?? 500;
  const state = new DashboardState(options.state);
  const catalogue = new Map((options.cities ?? []).map((c) => [c.code, c]));
  const clients = new Set<SseClient>();
  const staticCache = new Map<string, Buffer>();
  const geometryCache = new Map<string, { key: string; geometry: ZoneGeometry }>();
  const histories = new Map<HistorySource, HistoryProvider>();
  if (options.history) histories.set('warehouse', options.history);
  if (options.druidHistory) histories.set('druid', options.druidHistory);

  const knownCities = (): string[] => [...new Set([...catalogue.keys(), ...state.cities()])].sort();
  const timeZoneOf = (city: string): string => catalogue.get(city)?.timeZone ?? 'UTC';

  const citySummaries = (): object[] =>
    knownCities().map((code) => {
      const entry = catalogue.get(code);
      return {
        code,
        name: entry?.name ?? code,
        currency: state.currency(code) ?? entry?.currency ?? null,
        timeZone: timeZoneOf(code),
        live: state.newestWindowStart(code) !== undefined,
      };
    });

  const snapshot = (city: string, hours = chartHours): object => {
    const newest = state.newestWindowStart(city);
    const since = newest === undefined ? -Infinity : newest - hours * 3_600_000 + 1;
    return {
      city,
      currency: state.currency(city) ?? catalogue.get(city)?.currency ?? null,
      tiles: state.tiles(city, timeZoneOf(city)),
      points: state.cityPoints(city, since),
      zones: state.zones(city),
      status: state.status(now()),
    };
  };

  const geometry = (city: string): ZoneGeometry => {
    const zones = state.zones(city).map((z) => z.zone);
    const key = zones.join(',');
    const cached = geometryCache.get(city);
    if (cached && cached.key === key) return cached.geometry;
    const entry = catalogue.get(city);
    const shape = entry && entry.lat !== null && entry.lon !== null ? { lat: entry.lat, lon: entry.lon, radiusKm: entry.radiusKm } : undefined;
    const computed = zoneGeometry(zones, shape);
    geometryCache.set(city, { key, geometry: computed });
    return computed;
  };

  // --- the single upstream subscription -------------------------------------------------------
  await options.source.start((record: RideMetrics) => {
    state.apply(record, now());
  });

  const send = (client: SseClient, frame: string): void => {
    if (!client.res.writableEnded) client.res.write(frame);
  };

  const flush = (): void => {
    const dirty = state.takeDirty();
    if (clients.size === 0) return;
    const cities = new Set([...dirty.windows.keys(), ...dirty.zoneCities]);
    const status = state.status(now());
    for (const city of cities) {
      const viewers = [...clients].filter((c) => c.city === city);
      if (viewers.length === 0) continue;
      const payload = {
        city,
        currency: state.currency(city) ?? catalogue.get(city)?.currency ?? null,
        tiles: state.tiles(city, timeZoneOf(city)),
        points: state.pointsAt(city, dirty.windows.get(city) ?? []),
        zones: dirty.zoneCities.has(city) ? state.zones(city) : undefined,
        status,
      };
      const frame = sseFrame('update', payload);
      for (const client of viewers) send(client, frame);
    }
  };

  const broadcastStatus = (): void => {
    if (clients.size === 0) return;
    const frame = sseFrame('status', { status: state.status(now()), cities: knownCities() });
    for (const client of clients) send(client, frame);
  };

  const pushTimer = setInterval(flush, options.pushIntervalMs ?? 1_000);
  const statusTimer = setInterval(broadcastStatus, options.statusIntervalMs ?? 5_000);
  // Comments keep proxies and idle-timeouts from closing quiet streams.
  const heartbeatTimer = setInterval(() => {
    for (const client of clients) send(client, ': keep-alive\n\n');
  }, 15_000);
  for (const timer of [pushTimer, statusTimer, heartbeatTimer]) timer.unref();

  // --- request handling -----------------------------------------------------------------------
  const params = (url: URL, allowed: string[]): URLSearchParams => {
    for (const key of new Set(url.searchParams.keys())) {
      if (!allowed.includes(key)) throw new HttpError(400, `unknown parameter "${key}"`, { allowed });
      if (url.searchParams.getAll(key).length > 1) throw new HttpError(400, `parameter "${key}" given more than once`);
    }
    return url.searchParams;
  };

  const cityParam = (query: URLSearchParams): string => {
    const city = query.get('city');
    if (city === null || city === '') throw new HttpError(400, 'parameter "city" is required', { cities: knownCities() });
    const known = knownCities();
    if (!CITY_CODE.test(city) || !known.includes(city)) {
      throw new HttpError(400, `unknown city "${city.slice(0, 32)}"`, { cities: known });
    }
    return city;
  };

  const historySourceParam = (query: URLSearchParams): HistorySource => {
    const source = query.get('source') ?? 'warehouse';
    if (source !== 'warehouse' && source !== 'druid') throw new HttpError(400, `parameter "source" must be warehouse or druid`);
    return source;
  };

  const hoursParam = (query: URLSearchParams, fallback: number, max: number): number => {
    const raw = query.get('hours');
    if (raw === null) return fallback;
    if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
      throw new HttpError(400, `parameter "hours" must be a whole number from 1 to ${max}`);
    }
    return Number(raw);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, `method ${method} not allowed: the dashboard is read-only`);
    }
    // Pages served on loopback answer only to loopback names, which defeats DNS rebinding.
    if (isLoopback(host) && !isLoopback(hostOf(req.headers.host))) {
      throw new HttpError(403, 'unexpected Host header');
    }
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;

    const asset = STATIC_FILES[path === '/index.html' ? '/' : path === '/favicon.ico' ? '/favicon.svg' : path];
    if (asset) {
      // The page keeps its city in the query string; static files ignore it.
      let body = staticCache.get(asset.file);
      if (!body) {
        body = await readFile(asset.file);
        staticCache.set(asset.file, body);
      }
      res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }

    switch (path) {
      case '/healthz':
        params(url, []);
        return json(res, 200, { ok: true, status: state.status(now()) }, method);
      case '/api/cities':
        params(url, []);
        return json(res, 200, { cities: citySummaries(), historySources: [...histories.keys()] }, method);
      case '/api/status':
        params(url, []);
        return json(res, 200, { status: state.status(now()), viewers: clients.size, cities: knownCities() }, method);
      case '/api/snapshot': {
        const query = params(url, ['city', 'hours']);
        const city = cityParam(query);
        return json(res, 200, snapshot(city, hoursParam(query, chartHours, MAX_SERIES_HOURS)), method);
      }
      case '/api/zones': {
        const query = params(url, ['city']);
        const city = cityParam(query);
        return json(res, 200, { city, metrics: ZONE_METRICS, geometry: geometry(city), values: state.zones(city) }, method);
      }
      case '/api/history': {
        const query = params(url, ['city', 'hours', 'source']);
        const city = cityParam(query);
        const hours = hoursParam(query, 24, MAX_HISTORY_HOURS);
        const source = historySourceParam(query);
        const history = histories.get(source);
        if (!history) {
          return json(res, 200, { city, hours, source, available: false, reason: `no ${source} configured`, points: [] }, method);
        }
        return json(res, 200, await history.get(city, hours), method);
      }
      case '/api/events': {
        const query = params(url, ['city']);
        const city = cityParam(query);
        if (clients.size >= maxClients) throw new HttpError(503, 'too many viewers');
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        if (method === 'HEAD') return void res.end();
        const client: SseClient = { res, city };
        clients.add(client);
        req.on('close', () => clients.delete(client));
        res.write('retry: 3000\n\n');
        send(client, sseFrame('snapshot', snapshot(city)));
        return;
      }
      default:
        throw new HttpError(404, `no such page: ${path.slice(0, 64)}`);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      if (error instanceof HttpError) {
        return json(res, error.status, { error: error.message, ...error.extra }, req.method ?? 'GET');
      }
      json(res, 500, { error: 'internal error' }, req.method ?? 'GET');
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 18080, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    state,
    clients: () => clients.size,
    async close() {
      clearInterval(pushTimer);
      clearInterval(statusTimer);
      clearInterval(heartbeatTimer);
      for (const client of clients) client.res.end();
      clients.clear();
      const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      server.closeAllConnections();
      await closed;
      await options.source.stop();
      await options.history?.close();
      await options.druidHistory?.close();
    },
  };
}

function hostOf(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('[')) return header.slice(1, header.indexOf(']'));
  return header.split(':')[0] ?? '';
}

function json(res: ServerResponse, status: number, body: unknown, method: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : text);
}

function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
