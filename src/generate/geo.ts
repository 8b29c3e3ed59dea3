import { cellToBoundary, cellToLatLng, gridDiskDistances, latLngToCell } from 'h3-js';
import type { Rng } from './random.js';

/** Zones for surge and dispatch: H3 resolution 8 (~0.74 km² cells), as downstream aggregates. */
export const ZONE_RESOLUTION = 8;

const EARTH_RADIUS_KM = 6371.0088;
/** Rings computed at least, when a zone's neighbourhood is first asked for. */
const MIN_RING_DEPTH = 2;
const RAD = Math.PI / 180;

export interface Point {
  lat: number;
  lon: number;
}

export function haversineKm(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const dLat = (bLat - aLat) * RAD;
  const dLon = (bLon - aLon) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * RAD) * Math.cos(bLat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDeg(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const φ1 = aLat * RAD;
  const φ2 = bLat * RAD;
  const Δλ = (bLon - aLon) * RAD;
  const y = Math.sin(Δλ) * Math.cos(φ2);
  const x = Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(Δλ);
  return normalizeHeading(Math.atan2(y, x) / RAD);
}

export function normalizeHeading(deg: number): number {
  const h = deg % 360;
  const wrapped = h < 0 ? h + 360 : h;
  // Rounding may land on 360.0, which the schema excludes.
  return wrapped >= 359.95 ? 0 : Math.round(wrapped * 10) / 10;
}

/**
 * The point `distanceKm` from (lat, lon) along `bearing`. City-scale distances make the flat-earth
 * step exact to metres, and it is several times cheaper than the great-circle formula.
 */
export function destination(lat: number, lon: number, bearing: number, distanceKm: number): Point {
  const θ = bearing * RAD;
  const dLat = (distanceKm * Math.cos(θ)) / 111.32;
  const dLon = (distanceKm * Math.sin(θ)) / (111.32 * Math.cos(lat * RAD));
  return { lat: lat + dLat, lon: lon + dLon };
}

/** Coordinates in events: 6 decimals (~0.1 m) keeps records short and byte-stable. */
export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * H3 zones interned as small integers, with their neighbourhoods precomputed once per zone.
 * Dispatch and surge look at the same rings again and again: gridDisk costs tens of microseconds
 * and its result, as strings, about 10 KB, while a ring of integers costs under 1 KB and a lookup
 * nothing. Zones are only ever those of a city and its surroundings, so the table stays small.
 */
export class Zones {
  private readonly ids = new Map<string, number>();
  private readonly cells: string[] = [];
  /** Centre and inner radius (km) of each zone: a point that close to the centre is inside it. */
  private readonly centerLat: number[] = [];
  private readonly centerLon: number[] = [];
  private readonly innerKm: number[] = [];
  private readonly members: (Int32Array | undefined)[] = [];
  private readonly starts: (Int32Array | undefined)[] = [];
  /** How many rings of each zone are in members/starts. */
  private readonly depth: number[] = [];

  constructor(readonly maxRing: number) {}

  get size(): number {
    return this.cells.length;
  }

  /** The zone containing (lat, lon). */
  at(lat: number, lon: number): number {
    return this.intern(latLngToCell(lat, lon, ZONE_RESOLUTION));
  }

  /**
   * The zone containing (lat, lon), given that the point was in `previous` a moment ago. Most
   * moves stay well inside the zone's inscribed circle, which a flat-earth distance settles
   * without asking H3.
   */
  update(previous: number, lat: number, lon: number): number {
    let cLat = this.centerLat[previous];
    if (cLat !== undefined && Number.isNaN(cLat)) cLat = this.measure(previous);
    if (cLat !== undefined) {
      const dy = (lat - cLat) * 111.32;
      const dx = (lon - this.centerLon[previous]!) * 111.32 * Math.cos(cLat * RAD);
      const inner = this.innerKm[previous]!;
      if (dx * dx + dy * dy < inner * inner) return previous;
    }
    return this.at(lat, lon);
  }

  intern(cell: string): number {
    let id = this.ids.get(cell);
    if (id === undefined) {
      id = this.cells.length;
      this.cells.push(cell);
      this.ids.set(cell, id);
      // Most zones are only ever someone's neighbour; their geometry is measured on first use.
      this.centerLat.push(Number.NaN);
      this.centerLon.push(Number.NaN);
      this.innerKm.push(Number.NaN);
    }
    return id;
  }

  /** Centre and inner radius of a zone; returns the centre's latitude. */
  private measure(zone: number): number {
    const cell = this.cell(zone);
    const [lat, lon] = cellToLatLng(cell);
    const boundary = cellToBoundary(cell);
    let inner = Infinity;
    for (let i = 0; i < boundary.length; i++) {
      const a = boundary[i]!;
      const b = boundary[(i + 1) % boundary.length]!;
      // The edge's midpoint is its closest point to the centre of a near-regular hexagon.
      inner = Math.min(inner, haversineKm(lat, lon, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2));
    }
    this.centerLat[zone] = lat;
    this.centerLon[zone] = lon;
    // A 10% margin absorbs the flat-earth approximation and the hexagons' slight irregularity.
    this.innerKm[zone] = inner * 0.9;
    return lat;
  }

  /** The H3 index of a zone. */
  cell(zone: number): string {
    const cell = this.cells[zone];
    if (cell === undefined) throw new Error(`unknown zone ${zone}`);
    return cell;
  }

  /**
   * Zones within at least `upTo` rings (at most `maxRing`): ring k is members[starts[k]] up to
   * members[starts[k+1]], for k < starts.length - 1. Rings are computed as far as asked: most
   * lookups need one or two, and the eighth ring alone is 48 zones to create and intern.
   */
  rings(zone: number, upTo = this.maxRing): { members: Int32Array; starts: Int32Array } {
    let members = this.members[zone];
    let starts = this.starts[zone];
    if (!members || !starts || (this.depth[zone] ?? -1) < upTo) {
      const depth = Math.min(this.maxRing, Math.max(upTo, MIN_RING_DEPTH));
      const rings = gridDiskDistances(this.cell(zone), depth);
      starts = new Int32Array(depth + 2);
      members = new Int32Array(rings.reduce((n, ring) => n + ring.length, 0));
      let i = 0;
      for (let k = 0; k <= depth; k++) {
        starts[k] = i;
        for (const cell of rings[k] ?? []) members[i++] = this.intern(cell);
      }
      starts[depth + 1] = i;
      while (this.depth.length <= zone) this.depth.push(-1);
      this.members[zone] = members;
      this.starts[zone] = starts;
      this.depth[zone] = depth;
    }
    return { members, starts };
  }
}

/**
 * A point of a city where people ask for rides: mostly near the centre and a few hotspots
 * (stations, nightlife, the airport road), some anywhere in the radius.
 */
export function samplePickup(rng: Rng, center: Point, radiusKm: number, hotspots: readonly Point[]): Point {
  const mode = rng.next();
  if (mode < 0.55) {
    const r = Math.min(radiusKm, Math.abs(rng.normal(0, radiusKm * 0.3)));
    return destination(center.lat, center.lon, rng.range(0, 360), r);
  }
  if (mode < 0.8 && hotspots.length > 0) {
    const spot = rng.pick(hotspots);
    return destination(spot.lat, spot.lon, rng.range(0, 360), Math.abs(rng.normal(0, 0.8)));
  }
  return destination(center.lat, center.lon, rng.range(0, 360), radiusKm * Math.sqrt(rng.next()));
}

/** Where a trip from `from` ends: a log-normal trip length, turned back toward the centre near the edge. */
export function sampleDropoff(rng: Rng, from: Point, center: Point, radiusKm: number): Point {
  const length = Math.min(radiusKm * 1.5, Math.max(0.6, rng.logNormal(4.5, 0.6)));
  const towardCenter = bearingDeg(from.lat, from.lon, center.lat, center.lon);
  const bearing = rng.chance(0.5) ? towardCenter + rng.normal(0, 50) : rng.range(0, 360);
  let to = destination(from.lat, from.lon, bearing, length);
  if (haversineKm(to.lat, to.lon, center.lat, center.lon) > radiusKm * 1.1) {
    to = destination(from.lat, from.lon, towardCenter + rng.normal(0, 20), length);
  }
  return to;
}
