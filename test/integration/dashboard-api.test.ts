import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { MemoryMetricsSource } from '../../src/dashboard/metrics-source.js';
import { startDashboardServer, type DashboardServer } from '../../src/dashboard/server.js';
import { createHistory } from '../../src/dashboard/history.js';
import { cityWindow, zoneWindow, zonesAround } from '../unit/dashboard/fixtures.js';

const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const MIN = 60_000;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(server: DashboardServer, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function getJson(server: DashboardServer, path: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const reply = await call(server, path);
  return { status: reply.status, json: JSON.parse(reply.body) as Record<string, unknown> };
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A minimal EventSource: collects events and lets a test wait for the one it expects. */
function openStream(server: DashboardServer, path: string) {
  const events: SseEvent[] = [];
  const waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  let buffer = '';
  let closeRequest: () => void = () => undefined;
  const ready = new Promise<number>((resolve, reject) => {
    const req = request(`${server.url}${path}`, (res) => {
      resolve(res.statusCode ?? 0);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (!event || !data) continue;
          const parsed: SseEvent = { event, data: JSON.parse(data) as Record<string, unknown> };
          events.push(parsed);
          for (const waiter of [...waiters]) {
            if (waiter.match(parsed)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(parsed);
            }
          }
        }
      });
    });
    req.on('error', reject);
    req.end();
    closeRequest = () => req.destroy();
  });
  return {
    ready,
    events,
    next(match: (e: SseEvent) => boolean, timeoutMs = 5_000): Promise<SseEvent> {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    close: () => closeRequest(),
  };
}

describe('the dashboard API', () => {
  const source = new MemoryMetricsSource();
  let historyQueries = 0;
  let server: DashboardServer;
  const zones = zonesAround(40.7128, -74.006, 1);

  beforeAll(async () => {
    server = await startDashboardServer({
      source,
      port: 0,
      pushIntervalMs: 50,
      statusIntervalMs: 200,
      state: { stallAfterMs: 60_000 },
      cities: [{ code: 'nyc', name: 'New York', lat: 40.7128, lon: -74.006, radiusKm: 4, currency: 'USD', timeZone: 'America/New_York' }],
      history: createHistory({
        query: async () => {
          historyQueries += 1;
          return { rows: [{ hour: new Date(T0), requested: 5, completed: 4, cancelled: 1, revenue: 80, avg_wait_s: 100, avg_fare: 20, currency: 'USD' }] };
        },
      }),
    });
    for (let i = 0; i < 5; i += 1) source.push(cityWindow('nyc', T0 + i * MIN, { rides_requested: 10 + i }));
    for (const zone of zones) source.push(zoneWindow('nyc', zone, T0 + 4 * MIN));
    source.push(cityWindow('lon', T0, { currency: 'GBP' }));
  });

  afterAll(async () => {
    await server.close();
  });

  it('serves the page with a CSP that forbids inline scripts, and the chart library from node_modules', async () => {
    const page = await call(server, '/?city=nyc');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('/vendor/uplot.iife.min.js');
    expect(page.body).not.toMatch(/<script>(?!<)/);
    const vendor = await call(server, '/vendor/uplot.iife.min.js');
    expect(vendor.status).toBe(200);
    expect(vendor.body).toContain('uPlot');
    for (const asset of ['/app.js', '/style.css', '/vendor/uplot.min.css', '/favicon.svg']) {
      expect((await call(server, asset)).status, asset).toBe(200);
    }
  });

  it('lists the catalogue cities and the cities seen in the stream', async () => {
    const { status, json } = await getJson(server, '/api/cities');
    expect(status).toBe(200);
    expect(json.cities).toEqual([
      { code: 'lon', name: 'lon', currency: 'GBP', timeZone: 'UTC', live: true },
      { code: 'nyc', name: 'New York', currency: 'USD', timeZone: 'America/New_York', live: true },
    ]);
    // No Druid configured here: the page offers the warehouse alone.
    expect(json.historySources).toEqual(['warehouse']);
  });

  it('returns a snapshot with tiles, the minute series and the zones of a city', async () => {
    const { status, json } = await getJson(server, '/api/snapshot?city=nyc');
    expect(status).toBe(200);
    expect(json.tiles).toMatchObject({ city: 'nyc', currency: 'USD', requestsPerMinute: 12, timeZone: 'America/New_York' });
    expect((json.points as { requested: number }[]).map((p) => p.requested)).toEqual([10, 11, 12, 13, 14]);
    expect((json.zones as unknown[]).length).toBe(zones.length);
    expect(json.status).toMatchObject({ state: 'live', stalled: false });
  });

  it('returns zone polygons and values for the map', async () => {
    const { status, json } = await getJson(server, '/api/zones?city=nyc');
    expect(status).toBe(200);
    const geometry = json.geometry as { cells: { zone: string; points: string }[]; outline: string; viewBox: string };
    expect(geometry.cells.map((c) => c.zone).sort()).toEqual([...zones].sort());
    expect(geometry.outline).toMatch(/^-?\d/);
    expect(json.values).toHaveLength(zones.length);
  });

  it('serves warehouse history from a shared cache: many viewers, one query', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => getJson(server, '/api/history?city=nyc&hours=24')));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(replies[0]?.json).toMatchObject({ available: true, hours: 24, points: [{ requested: 5, revenue: 80 }] });
    expect(historyQueries).toBe(1);
  });

  it('says Druid history is not configured rather than failing, when no Druid was given', async () => {
    const { status, json } = await getJson(server, '/api/history?city=nyc&hours=24&source=druid');
    expect(status).toBe(200);
    expect(json).toMatchObject({ source: 'druid', available: false, reason: 'no druid configured', points: [] });
  });

  it('rejects unknown cities, bad ranges and unknown parameters with 400 and a JSON error', async () => {
    for (const path of [
      '/api/snapshot?city=atlantis',
      '/api/snapshot?city=%3Cscript%3E',
      '/api/snapshot',
      '/api/history?city=nyc&hours=0',
      '/api/history?city=nyc&hours=49',
      '/api/history?city=nyc&hours=1e3',
      '/api/history?city=nyc&hours=-5',
      '/api/history?city=nyc&source=trino',
      '/api/snapshot?city=nyc&hours=27',
      '/api/zones?city=nyc&metric=x',
      '/api/events?city=nyc&city=lon',
    ]) {
      const reply = await call(server, path);
      expect(reply.status, path).toBe(400);
      expect(reply.headers['content-type'], path).toMatch(/application\/json/);
      expect(typeof (JSON.parse(reply.body) as { error: unknown }).error, path).toBe('string');
    }
    const unknown = await getJson(server, '/api/snapshot?city=atlantis');
    expect(unknown.json.cities).toEqual(['lon', 'nyc']);
  });

  it('refuses every method that is not GET or HEAD with 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const reply = await call(server, '/api/snapshot?city=nyc', method);
      expect(reply.status, method).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    }
    const head = await call(server, '/api/cities', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers unknown paths with 404 and foreign Host headers with 403', async () => {
    expect((await call(server, '/../package.json')).status).toBe(404);
    expect((await call(server, '/src/dashboard/server.ts')).status).toBe(404);
    expect((await call(server, '/api/cities', 'GET', { Host: 'evil.example:18080' })).status).toBe(403);
  });

  it('pushes a snapshot on connect and then updates as metrics arrive', async () => {
    const stream = openStream(server, '/api/events?city=nyc');
    expect(await stream.ready).toBe(200);
    const snapshot = await stream.next((e) => e.event === 'snapshot');
    expect((snapshot.data.points as unknown[]).length).toBe(5);

    source.push(cityWindow('nyc', T0 + 5 * MIN, { rides_requested: 77 }));
    const update = await stream.next((e) => e.event === 'update' && (e.data.points as { requested: number }[]).some((p) => p.requested === 77));
    expect(update.data.city).toBe('nyc');
    expect((update.data.tiles as { windowStart: string }).windowStart).toBe(new Date(T0 + 5 * MIN).toISOString());
    // Only what changed travels; the page merges it into its series.
    expect((update.data.points as unknown[]).length).toBe(1);

    const status = await stream.next((e) => e.event === 'status');
    expect(status.data.status).toMatchObject({ state: 'live' });
    stream.close();
  });

  it('feeds a hundred viewers from one upstream subscription', async () => {
    const streams = Array.from({ length: 100 }, (_, i) => openStream(server, `/api/events?city=${i % 2 ? 'nyc' : 'lon'}`));
    await Promise.all(streams.map((s) => s.ready));
    await Promise.all(streams.map((s) => s.next((e) => e.event === 'snapshot')));
    expect(server.clients()).toBe(100);

    source.push(cityWindow('nyc', T0 + 6 * MIN, { rides_requested: 88 }));
    source.push(cityWindow('lon', T0 + MIN, { rides_requested: 55, currency: 'GBP' }));
    const updates = await Promise.all(
      streams.map((s) => s.next((e) => e.event === 'update' && (e.data.points as { requested: number }[]).some((p) => p.requested === 88 || p.requested === 55))),
    );
    updates.forEach((u, i) => expect(u.data.city).toBe(i % 2 ? 'nyc' : 'lon'));
    expect(source.starts).toBe(1);
    for (const s of streams) s.close();
    await expect.poll(() => server.clients()).toBe(0);
  });
});

describe('stall detection over the API', () => {
  it('tells open pages the stream has stalled when metrics stop arriving', async () => {
    const source = new MemoryMetricsSource();
    const server = await startDashboardServer({ source, port: 0, statusIntervalMs: 100, pushIntervalMs: 50, state: { stallAfterMs: 400 } });
    try {
      source.push(cityWindow('nyc', T0));
      const stream = openStream(server, '/api/events?city=nyc');
      expect(await stream.ready).toBe(200);
      expect((await stream.next((e) => e.event === 'snapshot')).data.status).toMatchObject({ state: 'live' });
      const stalled = await stream.next((e) => e.event === 'status' && (e.data.status as { stalled: boolean }).stalled);
      expect(stalled.data.status).toMatchObject({ state: 'stalled', stallAfterS: 0 });
      source.push(cityWindow('nyc', T0 + MIN));
      await stream.next((e) => e.event === 'update' && (e.data.status as { state: string }).state === 'live');
      stream.close();
    } finally {
      await server.close();
    }
  });
});
