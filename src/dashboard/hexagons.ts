import { cellToBoundary, isValidCell } from 'h3-js';

/**
 * Zone geometry for the page's SVG map, computed here so the page needs neither h3-js nor map
 * tiles: H3 cells become polygons in a local kilometre grid around the city (equirectangular,
 * which is accurate enough across one city), y pointing down as SVG wants.
 */

export interface ZonePolygon {
  zone: string;
  /** SVG `points` attribute. */
  points: string;
}

export interface ZoneGeometry {
  viewBox: string;
  cells: ZonePolygon[];
  /** The city's outline (a circle of its radius) when the catalogue knows it; may reach past the view box. */
  outline: string | null;
}

export interface CityShape {
  lat: number;
  lon: number;
  radiusKm: number | null;
}

const KM_PER_DEG = 111.32;
const OUTLINE_POINTS = 72;

export function zoneGeometry(zones: Iterable<string>, city?: CityShape): ZoneGeometry {
  const boundaries: [string, [number, number][]][] = [];
  for (const zone of zones) {
    if (!isValidCell(zone)) continue;
    boundaries.push([zone, cellToBoundary(zone)]);
  }
  const allPoints = boundaries.flatMap(([, ring]) => ring);
  const lat0 = city?.lat ?? mean(allPoints.map(([lat]) => lat)) ?? 0;
  const lon0 = city?.lon ?? mean(allPoints.map(([, lon]) => lon)) ?? 0;
  const cosLat = Math.cos((lat0 * Math.PI) / 180);
  const project = ([lat, lon]: [number, number]): [number, number] => [
    (lon - lon0) * KM_PER_DEG * cosLat,
    -(lat - lat0) * KM_PER_DEG,
  ];

  const cells = boundaries.map(([zone, ring]) => ({ zone, points: toPoints(ring.map(project)) }));
  const outlineRing =
    city && city.radiusKm !== null && city.radiusKm > 0 ? circle(city.radiusKm) : null;

  // Fit the zones when there are any: a city's radius can dwarf where rides actually happen, and
  // the outline is context, not content. With no zones yet, show the whole city.
  const xy = allPoints.length > 0 ? allPoints.map(project) : (outlineRing ?? []);
  if (xy.length === 0) return { viewBox: '-10 -10 20 20', cells: [], outline: null };
  const xs = xy.map(([x]) => x);
  const ys = xy.map(([, y]) => y);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const width = Math.max(Math.max(...xs) - minX, 0.5);
  const height = Math.max(Math.max(...ys) - minY, 0.5);
  const pad = Math.max(width, height) * 0.04;
  return {
    viewBox: [minX - pad, minY - pad, width + 2 * pad, height + 2 * pad].map((n) => fixed(n)).join(' '),
    cells,
    outline: outlineRing ? toPoints(outlineRing) : null,
  };
}

function circle(radiusKm: number): [number, number][] {
  const ring: [number, number][] = [];
  for (let i = 0; i < OUTLINE_POINTS; i += 1) {
    const angle = (2 * Math.PI * i) / OUTLINE_POINTS;
    ring.push([radiusKm * Math.cos(angle), radiusKm * Math.sin(angle)]);
  }
  return ring;
}

function toPoints(ring: [number, number][]): string {
  return ring.map(([x, y]) => `${fixed(x)},${fixed(y)}`).join(' ');
}

function fixed(n: number): string {
  // Three decimals of a kilometre is a metre: plenty, and it keeps the payload small.
  return String(Math.round(n * 1000) / 1000);
}

function mean(values: number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}
