import { latLngToCell } from 'h3-js';

/** H3 resolution 8: cells of about 0.7 km², a few city blocks, the grain dispatch works at. */
export const ZONE_RESOLUTION = 8;

export interface Point {
  lat: number;
  lon: number;
}

export type ZoneOf = (point: Point) => string;

export const h3Zone: ZoneOf = (point) => latLngToCell(point.lat, point.lon, ZONE_RESOLUTION);
