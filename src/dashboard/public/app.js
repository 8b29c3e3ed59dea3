/* The dashboard page: one EventSource per open page, charts by uPlot, the zone map as SVG.
 * Served under a CSP without inline scripts, so everything the page does lives here. */
(function () {
  'use strict';

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var HISTORY_REFRESH_MS = 60000;
  var COLORS = { accent: '#5b8cff', green: '#34d399', red: '#f87171', amber: '#fbbf24', violet: '#a78bfa', cyan: '#22d3ee', muted: '#8d97ab' };
  var PALETTES = {
    demand: ['#1d2b53', '#2f5fb3', '#22d3ee', '#a7f3d0'],
    supply: ['#1c2a3f', '#15803d', '#34d399', '#d9f99d'],
    surge: ['#2a2140', '#7c3aed', '#f472b6', '#fbbf24'],
  };
  var METRIC_LABELS = { demand: 'requests, last 15 min', supply: 'drivers online now', surge: 'mean surge, last 15 min' };

  var el = {
    city: document.getElementById('city'),
    pill: document.getElementById('status-pill'),
    lastUpdate: document.getElementById('last-update'),
    banner: document.getElementById('banner'),
    map: document.getElementById('map'),
    mapEmpty: document.getElementById('map-empty'),
    legendMin: document.getElementById('legend-min'),
    legendMax: document.getElementById('legend-max'),
    legendBar: document.getElementById('legend-bar'),
    legendLabel: document.getElementById('legend-label'),
    historyNote: document.getElementById('history-note'),
    footerWindow: document.getElementById('footer-window'),
  };

  var view = {
    city: null,
    cities: [],
    currency: null,
    timeZone: 'UTC',
    points: new Map(), // window start (ms) → point; revisions replace
    zones: new Map(), // zone → value
    geometryZones: new Set(),
    metric: 'demand',
    status: null,
    statusAt: 0, // browser clock when status arrived
    connected: false,
    source: null,
    geometryPending: false,
    historyTimer: null,
    historySource: 'warehouse',
    historySources: ['warehouse'],
  };

  var charts = {};

  // ---------- formatting ----------
  var nf0 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  var nf1 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var pct0 = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 });
  var pct = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

  function money(value, currency, compact) {
    if (value === null || value === undefined) return '—';
    if (!currency) return nf0.format(value);
    try {
      // Each currency keeps its own minor units (no cents on yen).
      var options = { style: 'currency', currency: currency };
      if (compact) {
        options.notation = 'compact';
        options.maximumFractionDigits = 1;
      }
      return new Intl.NumberFormat(undefined, options).format(value);
    } catch {
      return nf0.format(value) + ' ' + currency;
    }
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    if (seconds < 90) return nf0.format(seconds) + ' s';
    return nf1.format(seconds / 60) + ' min';
  }
  function timeOfDay(iso, withSeconds) {
    if (!iso) return '—';
    var options = { hour: '2-digit', minute: '2-digit', timeZone: view.timeZone };
    if (withSeconds) options.second = '2-digit';
    try {
      return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
    } catch {
      return new Date(iso).toLocaleTimeString();
    }
  }
  function ago(seconds) {
    if (seconds < 60) return seconds + ' s ago';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ago';
    return Math.floor(seconds / 3600) + ' h ago';
  }

  // ---------- tiles ----------
  function setTile(name, value, sub) {
    var tile = document.querySelector('[data-tile="' + name + '"]');
    if (!tile) return;
    var valueEl = tile.querySelector('.value');
    if (valueEl.textContent !== value) {
      valueEl.textContent = value;
      tile.classList.add('flash');
      setTimeout(function () { tile.classList.remove('flash'); }, 700);
    }
    if (sub !== undefined) tile.querySelector('.sub').textContent = sub;
  }

  function renderTiles(t) {
    if (!t) {
      ['ridesInProgress', 'drivers', 'requestsPerMinute', 'completionRate', 'cancellationRate', 'avgWaitS', 'avgFare', 'revenueToday'].forEach(function (n) {
        setTile(n, '—');
      });
      return;
    }
    var span = t.spanMinutes + ' min';
    setTile('ridesInProgress', t.ridesInProgress === null ? '—' : nf0.format(t.ridesInProgress), 'waiting + on trip · estimate');
    setTile('drivers', nf0.format(t.driversOnline), nf0.format(t.driversOnTrip) + ' on trip' + (t.utilisation === null ? '' : ' · ' + pct0.format(t.utilisation) + ' busy'));
    setTile('requestsPerMinute', nf1.format(t.requestsPerMinute), 'average over ' + span);
    setTile('completionRate', t.completionRate === null ? '—' : pct.format(t.completionRate), 'of finished rides · ' + span);
    setTile('cancellationRate', t.cancellationRate === null ? '—' : pct.format(t.cancellationRate), nf0.format(cancelledIn(t)) + ' cancelled · ' + span);
    setTile('avgWaitS', duration(t.avgWaitS), 'request to pickup · ' + span);
    setTile('avgFare', money(t.avgFare, t.currency), 'completed rides · ' + span);
    setTile('revenueToday', money(t.revenueToday, t.currency), 'since midnight · ' + t.timeZone.replace(/_/g, ' '));
    el.footerWindow.textContent = 'Newest window ' + timeOfDay(t.windowStart) + '–' + timeOfDay(t.windowEnd) + ' (' + t.timeZone + ')';
  }

  function cancelledIn(t) {
    var from = Date.parse(t.windowEnd) - t.spanMinutes * 60000;
    var total = 0;
    view.points.forEach(function (p) { if (p.t >= from) total += p.cancelled; });
    return total;
  }

  // ---------- status, stall banner ----------
  function secondsSinceRecord() {
    if (!view.status || view.status.secondsSinceLastRecord === null) return null;
    return view.status.secondsSinceLastRecord + Math.floor((Date.now() - view.statusAt) / 1000);
  }

  function setStatus(status) {
    view.status = status;
    view.statusAt = Date.now();
    renderStatus();
  }

  function renderStatus() {
    var status = view.status;
    var since = secondsSinceRecord();
    var state;
    if (!view.connected) state = view.source ? 'offline' : 'waiting';
    else if (!status || status.state === 'waiting') state = 'waiting';
    else state = since !== null && since >= status.stallAfterS ? 'stalled' : 'live';

    document.body.classList.toggle('is-stalled', state === 'stalled' || state === 'offline');
    el.pill.className = 'pill pill-' + state;
    el.pill.dataset.state = state;
    el.pill.textContent = { live: 'live', stalled: 'stalled', waiting: 'waiting', offline: 'offline' }[state];
    el.lastUpdate.textContent = status && status.lastRecordAt ? timeOfDay(status.lastRecordAt, true) + ' (' + ago(since) + ')' : '—';
    if (status && status.lastRecordAt) el.lastUpdate.setAttribute('datetime', status.lastRecordAt);

    var message = null;
    var warn = false;
    if (state === 'stalled') {
      message = 'Stream stalled: no new metrics for ' + ago(since).replace(' ago', '') + ' (threshold ' + status.stallAfterS + ' s). Figures below are as of ' + timeOfDay(status.lastRecordAt, true) + '.';
    } else if (state === 'offline') {
      message = 'Lost the connection to the dashboard server; reconnecting…';
    } else if (state === 'waiting') {
      message = 'Waiting for the first metrics on ride_metrics_1m…';
      warn = true;
    }
    el.banner.hidden = message === null;
    el.banner.dataset.state = state;
    el.banner.className = 'banner' + (warn ? ' banner-warn' : '');
    if (message !== null) el.banner.textContent = message;
  }

  // ---------- charts ----------
  function axis(label, side, format) {
    return {
      label: label,
      side: side,
      stroke: COLORS.muted,
      labelSize: 18,
      labelFont: '600 11px system-ui, sans-serif',
      font: '11px system-ui, sans-serif',
      grid: { stroke: 'rgba(255,255,255,0.06)', width: 1 },
      ticks: { stroke: 'rgba(255,255,255,0.08)', width: 1, size: 4 },
      values: format ? function (u, vals) { return vals.map(format); } : undefined,
      size: 48,
    };
  }

  function series(label, color, scale, opts) {
    var s = { label: label, stroke: color, width: 2, scale: scale || 'y', points: { show: false }, spanGaps: false };
    if (opts && opts.fill) s.fill = opts.fill;
    if (opts && opts.dash) s.dash = opts.dash;
    return s;
  }

  function tzDate(ts) {
    try {
      return uPlot.tzDate(new Date(ts * 1000), view.timeZone);
    } catch {
      return new Date(ts * 1000);
    }
  }

  function makeChart(id, seriesList, axes, height) {
    var target = document.getElementById(id);
    var width = Math.max(target.clientWidth, 280);
    var data = [[]].concat(seriesList.map(function () { return []; }));
    var xAxis = axis(null, 2);
    xAxis.size = 44;
    return new uPlot(
      {
        width: width,
        height: height || 220,
        tzDate: tzDate,
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        scales: { x: { time: true } },
        series: [{}].concat(seriesList),
        axes: [xAxis].concat(axes),
      },
      data,
      target,
    );
  }

  function createCharts() {
    charts.demand = makeChart(
      'chart-demand',
      [
        series('Requested', COLORS.accent, 'y', { fill: 'rgba(91,140,255,0.12)' }),
        series('Completed', COLORS.green),
        series('Cancelled', COLORS.red),
      ],
      [axis('rides / min', 3)],
    );
    charts.fleet = makeChart(
      'chart-fleet',
      [series('Online', COLORS.cyan, 'y', { fill: 'rgba(34,211,238,0.10)' }), series('On trip', COLORS.violet, 'y', { fill: 'rgba(167,139,250,0.14)' })],
      [axis('drivers', 3)],
    );
    charts.service = makeChart(
      'chart-service',
      [series('Avg wait (s)', COLORS.amber, 'wait'), series('Avg fare', COLORS.green, 'fare')],
      [Object.assign(axis('wait s', 3), { scale: 'wait' }), Object.assign(axis('fare', 1), { scale: 'fare', grid: { show: false } })],
    );
    charts.history = makeChart(
      'chart-history',
      [
        series('Requested', COLORS.accent, 'rides', { fill: 'rgba(91,140,255,0.10)' }),
        series('Completed', COLORS.green, 'rides'),
        series('Cancelled', COLORS.red, 'rides'),
        series('Revenue', COLORS.amber, 'revenue', { dash: [6, 4] }),
      ],
      [Object.assign(axis('rides / h', 3), { scale: 'rides' }), Object.assign(axis('revenue', 1), { scale: 'revenue', grid: { show: false } })],
      200,
    );
    var resize = debounce(function () {
      Object.keys(charts).forEach(function (key) {
        var chart = charts[key];
        var width = Math.max(chart.root.parentElement.clientWidth, 280);
        chart.setSize({ width: width, height: chart.height });
      });
    }, 150);
    window.addEventListener('resize', resize);
  }

  function renderSeries() {
    var points = Array.from(view.points.values()).sort(function (a, b) { return a.t - b.t; });
    var x = points.map(function (p) { return p.t / 1000; });
    var col = function (key) { return points.map(function (p) { return p[key]; }); };
    charts.demand.setData([x, col('requested'), col('completed'), col('cancelled')]);
    charts.fleet.setData([x, col('driversOnline'), col('driversOnTrip')]);
    charts.service.setData([x, col('avgWaitS'), col('avgFare')]);
  }

  // ---------- zone map ----------
  function lerpColor(stops, t) {
    t = Math.min(1, Math.max(0, t));
    var scaled = t * (stops.length - 1);
    var i = Math.min(stops.length - 2, Math.floor(scaled));
    var f = scaled - i;
    var a = hex(stops[i]);
    var b = hex(stops[i + 1]);
    return 'rgb(' + [0, 1, 2].map(function (k) { return Math.round(a[k] + (b[k] - a[k]) * f); }).join(',') + ')';
  }
  function hex(color) {
    return [1, 3, 5].map(function (i) { return parseInt(color.slice(i, i + 2), 16); });
  }

  function zoneValue(z) {
    if (!z) return null;
    return view.metric === 'demand' ? z.demand : view.metric === 'supply' ? z.supply : z.surge;
  }

  function renderZones() {
    var values = [];
    view.zones.forEach(function (z) {
      var v = zoneValue(z);
      if (v !== null && v !== undefined) values.push(v);
    });
    var min = view.metric === 'surge' ? 1 : 0;
    var max = values.length ? Math.max.apply(null, values) : 0;
    if (view.metric === 'surge') max = Math.max(max, 1.5);
    else max = Math.max(max, 1);
    var palette = PALETTES[view.metric];
    var polys = el.map.querySelectorAll('polygon.zone');
    for (var i = 0; i < polys.length; i += 1) {
      var poly = polys[i];
      var z = view.zones.get(poly.dataset.zone);
      var v = zoneValue(z);
      poly.setAttribute('fill', v === null || v === undefined ? '#1a2236' : lerpColor(palette, (v - min) / (max - min || 1)));
      var title = poly.firstChild;
      if (title) {
        title.textContent = poly.dataset.zone + (z ? '\ndemand ' + z.demand + ' · supply ' + z.supply + ' · surge ' + (z.surge === null ? '—' : z.surge.toFixed(2) + '×') : '');
      }
    }
    el.legendMin.textContent = view.metric === 'surge' ? '1.0×' : '0';
    el.legendMax.textContent = view.metric === 'surge' ? max.toFixed(2) + '×' : nf0.format(max);
    el.legendBar.className = 'legend-bar legend-' + view.metric;
    el.legendLabel.textContent = METRIC_LABELS[view.metric];
    el.mapEmpty.hidden = view.zones.size > 0;
  }

  function drawGeometry(geometry) {
    while (el.map.firstChild) el.map.removeChild(el.map.firstChild);
    el.map.setAttribute('viewBox', geometry.viewBox);
    view.geometryZones = new Set();
    var outline = function (cls) {
      var poly = document.createElementNS(SVG_NS, 'polygon');
      poly.setAttribute('points', geometry.outline);
      poly.setAttribute('class', cls);
      el.map.appendChild(poly);
    };
    // The city's area sits under the zones, its boundary over them so it stays visible.
    if (geometry.outline) outline('city-area');
    geometry.cells.forEach(function (cell) {
      var poly = document.createElementNS(SVG_NS, 'polygon');
      poly.setAttribute('points', cell.points);
      poly.setAttribute('class', 'zone');
      poly.dataset.zone = cell.zone;
      poly.appendChild(document.createElementNS(SVG_NS, 'title'));
      el.map.appendChild(poly);
      view.geometryZones.add(cell.zone);
    });
    if (geometry.outline) outline('outline');
  }

  function loadGeometry() {
    if (view.geometryPending || !view.city) return;
    view.geometryPending = true;
    var city = view.city;
    getJson('/api/zones?city=' + encodeURIComponent(city))
      .then(function (body) {
        if (city !== view.city) return;
        drawGeometry(body.geometry);
        setZones(body.values, false);
        renderZones();
      })
      .catch(function (e) { console.warn('zones', e); })
      .then(function () { view.geometryPending = false; });
  }

  function setZones(values, fetchMissing) {
    view.zones = new Map(values.map(function (z) { return [z.zone, z]; }));
    if (fetchMissing && values.some(function (z) { return !view.geometryZones.has(z.zone); })) loadGeometry();
  }

  function selectMetric(metric) {
    view.metric = metric;
    document.querySelectorAll('#zone-metric button').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.dataset.metric === metric));
    });
    renderZones();
  }

  // ---------- history ----------
  function loadHistory() {
    if (!view.city) return;
    var city = view.city;
    var source = view.historySource;
    var label = source === 'druid' ? 'Druid' : 'warehouse';
    getJson('/api/history?city=' + encodeURIComponent(city) + '&hours=24&source=' + source)
      .then(function (body) {
        if (city !== view.city || source !== view.historySource) return;
        var pts = body.points || [];
        charts.history.setData([
          pts.map(function (p) { return p.t / 1000; }),
          pts.map(function (p) { return p.requested; }),
          pts.map(function (p) { return p.completed; }),
          pts.map(function (p) { return p.cancelled; }),
          pts.map(function (p) { return p.revenue; }),
        ]);
        var empty = document.getElementById('history-empty');
        empty.hidden = body.available && pts.length > 0;
        empty.textContent = body.available
          ? 'No finished rides in the ' + label + ' for the last ' + body.hours + ' h yet.'
          : (source === 'druid' ? 'Druid' : 'Warehouse') + ' history unavailable: ' + body.reason;
        el.historyNote.textContent = body.available
          ? 'hourly, last ' + body.hours + ' h · ' + (body.currency || view.currency || '') + ' revenue · as of ' + timeOfDay(body.fetchedAt)
          : 'unavailable: ' + body.reason;
      })
      .catch(function (e) { el.historyNote.textContent = 'unavailable: ' + e.message; });
  }

  function selectHistorySource(source) {
    if (view.historySources.indexOf(source) < 0) return;
    view.historySource = source;
    document.querySelectorAll('#history-source button').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.dataset.source === source));
    });
    document.getElementById('history-title').textContent = source === 'druid' ? 'Druid history' : 'Warehouse history';
    document.getElementById('footer-history').textContent = source === 'druid' ? 'Druid enriched_rides' : 'ridehail.fct_rides';
    loadHistory();
  }

  // ---------- stream ----------
  function applySnapshot(data) {
    view.currency = data.currency;
    view.points = new Map();
    data.points.forEach(function (p) { view.points.set(p.t, p); });
    renderTiles(data.tiles);
    renderSeries();
    setZones(data.zones, false);
    loadGeometry();
    setStatus(data.status);
  }

  function applyUpdate(data) {
    if (data.city !== view.city) return;
    view.currency = data.currency;
    data.points.forEach(function (p) { view.points.set(p.t, p); });
    // Keep the charts' span: drop windows older than the snapshot's reach.
    var newest = 0;
    view.points.forEach(function (p) { if (p.t > newest) newest = p.t; });
    var reach = view.reachMs || 3 * 3600000;
    view.points.forEach(function (p, t) { if (t < newest - reach) view.points.delete(t); });
    renderTiles(data.tiles);
    if (data.points.length) renderSeries();
    if (data.zones) {
      setZones(data.zones, true);
      renderZones();
    }
    setStatus(data.status);
  }

  function connect(city) {
    if (view.source) view.source.close();
    var source = new EventSource('/api/events?city=' + encodeURIComponent(city));
    view.source = source;
    source.addEventListener('open', function () { view.connected = true; renderStatus(); });
    source.addEventListener('error', function () { view.connected = false; renderStatus(); });
    source.addEventListener('snapshot', function (e) {
      view.connected = true;
      var data = JSON.parse(e.data);
      if (data.points.length > 1) view.reachMs = Math.max(3 * 3600000, data.points[data.points.length - 1].t - data.points[0].t);
      applySnapshot(data);
    });
    source.addEventListener('update', function (e) { applyUpdate(JSON.parse(e.data)); });
    source.addEventListener('status', function (e) {
      var data = JSON.parse(e.data);
      setStatus(data.status);
      if (data.cities.length !== view.cities.length) loadCities();
    });
  }

  function selectCity(code) {
    if (!code || code === view.city) return;
    view.city = code;
    var info = view.cities.find(function (c) { return c.code === code; });
    view.timeZone = (info && info.timeZone) || 'UTC';
    el.city.value = code;
    try { localStorage.setItem('ridehail.city', code); } catch { /* private mode */ }
    var params = new URLSearchParams(location.search);
    params.set('city', code);
    window.history.replaceState(null, '', '?' + params.toString());
    view.points = new Map();
    view.zones = new Map();
    view.geometryZones = new Set();
    while (el.map.firstChild) el.map.removeChild(el.map.firstChild);
    renderTiles(null);
    renderZones();
    connect(code);
    loadHistory();
    if (view.historyTimer) clearInterval(view.historyTimer);
    view.historyTimer = setInterval(loadHistory, HISTORY_REFRESH_MS);
  }

  function loadCities() {
    return getJson('/api/cities').then(function (body) {
      view.cities = body.cities;
      view.historySources = body.historySources || ['warehouse'];
      document.getElementById('history-source').hidden = view.historySources.length < 2;
      var current = el.city.value;
      while (el.city.firstChild) el.city.removeChild(el.city.firstChild);
      body.cities.forEach(function (c) {
        var option = document.createElement('option');
        option.value = c.code;
        option.textContent = c.name + (c.currency ? ' · ' + c.currency : '');
        el.city.appendChild(option);
      });
      if (current) el.city.value = current;
      if (!view.city && body.cities.length) {
        var wanted = new URLSearchParams(location.search).get('city');
        var stored = null;
        try { stored = localStorage.getItem('ridehail.city'); } catch { /* private mode */ }
        var codes = body.cities.map(function (c) { return c.code; });
        var live = body.cities.filter(function (c) { return c.live; }).map(function (c) { return c.code; });
        var pick = [wanted, stored].filter(function (c) { return c && codes.indexOf(c) >= 0; })[0] || live[0] || codes[0];
        selectCity(pick);
      }
      return body.cities;
    });
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: 'application/json' } }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error(body.error || res.statusText);
        return body;
      });
    });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // ---------- start ----------
  function start() {
    createCharts();
    el.city.addEventListener('change', function () { selectCity(el.city.value); });
    document.querySelectorAll('#zone-metric button').forEach(function (b) {
      b.addEventListener('click', function () { selectMetric(b.dataset.metric); });
    });
    document.querySelectorAll('#history-source button').forEach(function (b) {
      b.addEventListener('click', function () { selectHistorySource(b.dataset.source); });
    });
    renderStatus();
    // Until a city is known (nothing streamed yet), keep asking; afterwards status events carry news.
    var poll = setInterval(function () {
      if (view.city) return clearInterval(poll);
      loadCities().catch(function () { /* server restarting */ });
    }, 3000);
    loadCities().catch(function (e) { console.warn('cities', e); });
    // The stall banner must appear even when the server has nothing to say.
    setInterval(renderStatus, 1000);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
