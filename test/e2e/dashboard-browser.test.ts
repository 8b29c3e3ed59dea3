import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from '../../src/kafka/kafkajs.js';
import pg from 'pg';
import { topicByName, type TopicSpec } from '../../src/contract/topics.js';
import { ensureTopics, withAdmin } from '../../src/kafka/admin.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { KafkaMetricsSource, CITY_METRICS_TOPIC, ZONE_METRICS_TOPIC } from '../../src/dashboard/metrics-source.js';
import { startDashboardServer, type DashboardServer } from '../../src/dashboard/server.js';
import { createHistory, type HistoryProvider } from '../../src/dashboard/history.js';
import type { RideMetrics } from '../../src/contract/generated/ride_metrics.js';
import { simulate } from '../unit/dashboard/fixtures.js';

const brokers = inject('kafkaBrokers');
const databaseUrl = inject('databaseUrl');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(process.cwd(), 'test-output');
const MIN = 60_000;
// A city of the test's own, so other tests writing to the shared metrics topics don't disturb it.
const CITY = { code: 'e2e_dash', name: 'Testville', lat: 52.52, lon: 13.405, radiusKm: 5, currency: 'EUR', timeZone: 'Europe/Berlin' };

// A developer without Chromium may skip this test; CI, which installs it (.ci/run), may not.
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true';
if (skip) console.warn(`dashboard browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!brokers || skip)('the dashboard in a browser while metrics flow through Kafka', () => {
  const kafka = new Kafka({ clientId: 'dashboard-e2e', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  let producer: Producer;
  let server: DashboardServer;
  let browser: Browser;
  let warehouse: pg.Client | undefined;
  const now = Math.floor(Date.now() / MIN) * MIN;

  const publish = async (records: RideMetrics[]): Promise<void> => {
    const byTopic = (zone: boolean) =>
      records
        .filter((r) => (r.zone !== null) === zone)
        .map((r) => ({ key: `${r.city}|${r.zone ? `${r.zone}|` : ''}${r.window_start}`, value: JSON.stringify(r) }));
    await producer.sendBatch({
      topicMessages: [
        { topic: CITY_METRICS_TOPIC, messages: byTopic(false) },
        { topic: ZONE_METRICS_TOPIC, messages: byTopic(true) },
      ],
    });
  };

  beforeAll(async () => {
    // Created as the catalogue describes them (compaction and all) once it lists them, so tests
    // that check the catalogue's topic settings are not misled by this one running first.
    const specs: TopicSpec[] = [CITY_METRICS_TOPIC, ZONE_METRICS_TOPIC].map(
      (name) => topicByName(name) ?? { name, description: name, key: 'city|window_start', compacted: false },
    );
    await withAdmin(kafka, (admin) => ensureTopics(admin, specs, { partitions: 3 }));
    producer = kafka.producer();
    await producer.connect();
    // Two hours of history before the dashboard starts: it must load them from the topic.
    await publish(simulate(CITY.code, CITY.currency, CITY.lat, CITY.lon, now - 120 * MIN, 120));

    let history: HistoryProvider | undefined;
    if (databaseUrl) {
      // A day of finished rides in a schema of the test's own, rolled back afterwards.
      warehouse = new pg.Client({ connectionString: databaseUrl });
      await warehouse.connect();
      await warehouse.query('BEGIN');
      await warehouse.query('CREATE SCHEMA dash_e2e');
      await warehouse.query('SET LOCAL search_path = dash_e2e');
      await warehouse.query(`CREATE TABLE fct_rides (ride_id text, city text, status text, requested_at timestamptz,
        ended_at timestamptz, fare_total numeric, currency text, wait_time_s numeric)`);
      await warehouse.query(`INSERT INTO fct_rides
        SELECT 'ride_' || i, $1, CASE WHEN i % 11 = 0 THEN 'cancelled' ELSE 'completed' END, t, t + interval '18 minutes',
               CASE WHEN i % 11 = 0 THEN NULL ELSE 14 + (i % 9) END, 'EUR', 150 + (i % 120)
        FROM generate_series(1, 2400) AS i,
             LATERAL (SELECT now() - interval '24 hours' + (i * interval '36 seconds')
                      + (sin(i / 200.0) * interval '10 minutes') AS t) AS times`, [CITY.code]);
      const client = warehouse;
      history = createHistory({ query: (sql, params) => client.query(sql, params) });
    }

    server = await startDashboardServer({
      ...(history ? { history } : {}),
      source: new KafkaMetricsSource(kafka, { cityLookbackMs: 3 * 3_600_000, zoneLookbackMs: 30 * MIN }),
      port: 0,
      cities: [CITY],
      pushIntervalMs: 500,
      statusIntervalMs: 1_000,
      state: { stallAfterMs: 8_000 },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    mkdirSync(OUTPUT, { recursive: true });
  });

  afterAll(async () => {
    await warehouse?.query('ROLLBACK').catch(() => undefined);
    await warehouse?.end();
    await browser?.close();
    await server?.close();
    await producer?.disconnect();
  });

  const tile = (page: Page, name: string) => page.locator(`[data-tile="${name}"] .value`);

  it('shows the streamed figures, updates them within seconds and flags a stalled stream', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, locale: 'en-US' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${server.url}/?city=${CITY.code}`);

    await expect.poll(() => page.locator('#status-pill').getAttribute('data-state'), { timeout: 30_000 }).toBe('live');
    await expect.poll(() => tile(page, 'requestsPerMinute').textContent(), { timeout: 30_000 }).not.toBe('—');
    await expect.poll(() => page.locator('#map polygon.zone').count(), { timeout: 15_000 }).toBeGreaterThan(10);
    expect(await page.locator('#city').inputValue()).toBe(CITY.code);
    expect(await tile(page, 'revenueToday').textContent()).toMatch(/€/);
    const before = await tile(page, 'drivers').textContent();
    const lastUpdateBefore = await page.locator('#last-update').getAttribute('datetime');

    // A surge of drivers in the next window must reach the page without a reload.
    const sentAt = Date.now();
    const [next] = simulate(CITY.code, CITY.currency, CITY.lat, CITY.lon, now, 1);
    await publish([{ ...next!, drivers_online: 4321, drivers_on_trip: 2100, utilisation: 2100 / 4321 }]);
    await expect.poll(() => tile(page, 'drivers').textContent(), { timeout: 10_000, interval: 200 }).toBe('4,321');
    const latencyMs = Date.now() - sentAt;
    expect(latencyMs).toBeLessThan(10_000);
    expect(before).not.toBe('4,321');
    expect(await page.locator('#last-update').getAttribute('datetime')).not.toBe(lastUpdateBefore);
    expect(await page.locator('#banner').isHidden()).toBe(true);
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });

    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: 'en-US' });
    await phone.goto(`${server.url}/?city=${CITY.code}`);
    await expect.poll(() => tile(phone, 'drivers').textContent(), { timeout: 15_000 }).toBe('4,321');
    await phone.waitForTimeout(600);
    await phone.screenshot({ path: join(OUTPUT, 'dashboard-phone.png'), fullPage: true });
    await phone.close();

    // Nothing more is published: after the threshold the page must say so.
    await expect.poll(() => page.locator('#banner').isVisible(), { timeout: 20_000, interval: 500 }).toBe(true);
    expect(await page.locator('#banner').textContent()).toMatch(/Stream stalled/);
    expect(await page.locator('#status-pill').getAttribute('data-state')).toBe('stalled');
    await page.screenshot({ path: join(OUTPUT, 'dashboard-stalled.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});
