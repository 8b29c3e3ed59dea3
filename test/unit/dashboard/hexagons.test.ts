import { describe, expect, it } from 'vitest';
import { zoneGeometry } from '../../../src/dashboard/hexagons.js';
import { zonesAround } from './fixtures.js';

function parse(points: string): [number, number][] {
  return points.split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
}

describe('zoneGeometry', () => {
  it('turns every valid H3 cell into a closed hexagon in kilometres around the city centre', () => {
    const zones = zonesAround(40.7128, -74.006, 2);
    const geometry = zoneGeometry(zones, { lat: 40.7128, lon: -74.006, radiusKm: 5 });
    expect(geometry.cells).toHaveLength(19);
    for (const cell of geometry.cells) {
      const ring = parse(cell.points);
      expect(ring.length).toBeGreaterThanOrEqual(6);
      // A res-8 hexagon is about 0.46 km across an edge: every vertex lies within a few km of the centre.
      for (const [x, y] of ring) expect(Math.hypot(x, y)).toBeLessThan(3);
    }
  });

  it('draws the outline as a circle of the city radius but fits the view box to the zones', () => {
    const city = { lat: 51.5, lon: -0.12, radiusKm: 10 };
    const geometry = zoneGeometry(zonesAround(51.5, -0.12, 1), city);
    const outline = parse(geometry.outline ?? '');
    for (const [x, y] of outline) expect(Math.hypot(x, y)).toBeCloseTo(10, 2);
    const [, , width] = geometry.viewBox.split(' ').map(Number);
    expect(width).toBeLessThan(5);
    // With no zones yet the whole city is in view.
    const [minX, minY, emptyWidth] = zoneGeometry([], city).viewBox.split(' ').map(Number);
    expect(minX).toBeLessThan(-10);
    expect(minY).toBeLessThan(-10);
    expect(emptyWidth).toBeGreaterThan(20);
  });

  it('puts north up, as SVG y grows downwards', () => {
    const geometry = zoneGeometry(zonesAround(51.5, -0.12, 3), { lat: 51.5, lon: -0.12, radiusKm: null });
    const centroidY = (points: string): number => {
      const ring = parse(points);
      return ring.reduce((s, [, y]) => s + y, 0) / ring.length;
    };
    const ys = geometry.cells.map((c) => centroidY(c.points));
    expect(Math.min(...ys)).toBeLessThan(0);
    expect(Math.max(...ys)).toBeGreaterThan(0);
    expect(geometry.outline).toBeNull();
  });

  it('skips what is not an H3 cell and copes with no cells at all', () => {
    expect(zoneGeometry(['not-a-cell', '<script>']).cells).toEqual([]);
    expect(zoneGeometry([]).viewBox).toBe('-10 -10 20 20');
  });
});
