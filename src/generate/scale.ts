import type { City } from './cities.js';

/**
 * How big the simulated cities are, derived from the target event rate. The rate has two parts:
 * ride-related events (requests × events per ride) and location pings (drivers online / ping
 * interval). Drivers online are set from demand by a target utilisation, so both parts scale with
 * the request rate and `--rate` fixes it. The constants below are measured from the simulation
 * (test/unit/generate/simulation.test.ts checks the achieved rate over a simulated day).
 */

/** Events per requested ride, averaged over completed and cancelled rides, ratings and signups included. */
export const EVENTS_PER_RIDE = 5.9;
/** Typical trip length on the road, km (see sampleDropoff in geo.ts and the road factor). */
const MEAN_TRIP_KM = 4.9;
/** Minutes of a ride spent before the trip: driving to the pickup and waiting for the rider. */
const PICKUP_SECONDS = 300;
/** Share of requested rides that keep a driver busy for a whole ride (the rest end early or find none). */
const COMPLETION_WEIGHT = 0.9;
/** Share of online drivers busy on a ride, on average over the day. */
export const TARGET_UTILISATION = 0.45;
/** How often an online vehicle reports its position. */
export const DEFAULT_PING_INTERVAL_MS = 30_000;
/** Customers ride about this often per month; sets the size of the customer base. */
const RIDES_PER_CUSTOMER_PER_MONTH = 6;
/** The highest supply factor of the day (see demand.ts), plus room for drivers who are off. */
const FLEET_PER_MEAN_ONLINE = 1.8;

export interface CityScale {
  /** Ride requests per second when the demand factor is 1. */
  requestsPerSecond: number;
  /** Drivers online when the supply factor is 1. */
  meanOnline: number;
  /** Registered drivers. */
  fleet: number;
  /** Registered customers at the start. */
  customers: number;
}

/** Seconds a driver spends per requested ride in a city: slower traffic, longer rides. */
export function busySecondsPerRide(city: City): number {
  return COMPLETION_WEIGHT * (PICKUP_SECONDS + (MEAN_TRIP_KM / city.avgSpeedKmh) * 3600);
}

export function cityScales(cities: readonly City[], eventsPerSecond: number, pingIntervalMs = DEFAULT_PING_INTERVAL_MS): CityScale[] {
  const totalWeight = cities.reduce((sum, city) => sum + city.weight, 0);
  const pingsPerRide = (city: City): number => busySecondsPerRide(city) / TARGET_UTILISATION / (pingIntervalMs / 1000);
  // Events per second = Σ requests_c × (events per ride + pings per ride_c), requests_c = share_c × total.
  const eventsPerRequest = cities.reduce((sum, city) => sum + (city.weight / totalWeight) * (EVENTS_PER_RIDE + pingsPerRide(city)), 0);
  const requestsPerSecond = eventsPerSecond / eventsPerRequest;
  return cities.map((city) => {
    const share = city.weight / totalWeight;
    const cityRequests = requestsPerSecond * share;
    const meanOnline = (cityRequests * busySecondsPerRide(city)) / TARGET_UTILISATION;
    return {
      requestsPerSecond: cityRequests,
      meanOnline,
      fleet: Math.max(3, Math.ceil(meanOnline * FLEET_PER_MEAN_ONLINE)),
      customers: Math.max(50, Math.round((cityRequests * 86_400 * 30) / RIDES_PER_CUSTOMER_PER_MONTH)),
    };
  });
}
