/**
 * When the requests of a benchmark are sent, as `vllm bench serve` schedules them
 * (vllm/benchmarks/serve.py `get_request`): at a finite `--request-rate` every request, the first
 * included, waits a gap drawn from a gamma distribution of shape `--burstiness` and mean 1/rate
 * (burstiness 1 is a Poisson process; below 1 burstier, above 1 more even; infinite burstiness
 * gives equal gaps), and the cumulative times are then scaled so the last request goes out at
 * exactly N / rate. An infinite rate sends everything at t = 0. With a ramp-up the rate of
 * request i grows from the start to the end rate with i / (N − 1), linearly or exponentially,
 * each gap drawn at the request's own rate, with no rescaling. Pure and seeded.
 */
import { seededRandom } from "../engine/random.js";
import type { SimulatedRequest } from "./simulate.js";

/** A standard normal sample (Box-Muller). */
function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * A Gamma(shape, 1) sample: Marsaglia and Tsang's method for shape ≥ 1, and for shape < 1 a
 * Gamma(shape + 1) sample times U^(1/shape).
 */
export function gammaSample(random: () => number, shape: number): number {
  if (shape < 1) {
    return gammaSample(random, shape + 1) * Math.max(random(), Number.EPSILON) ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
      return d * v;
    }
  }
}

/** `--ramp-up-strategy` with `--ramp-up-start-rps` and `--ramp-up-end-rps` (requests per second). */
export interface RampUp {
  readonly strategy: "linear" | "exponential";
  readonly startRps: number;
  readonly endRps: number;
}

/** The rate of request `index` of `total` under a ramp-up (serve.py `_get_current_request_rate`). */
export function rampUpRate(ramp: RampUp, index: number, total: number): number {
  const progress = index / Math.max(total - 1, 1);
  return ramp.strategy === "linear"
    ? ramp.startRps + (ramp.endRps - ramp.startRps) * progress
    : ramp.startRps * (ramp.endRps / ramp.startRps) ** progress;
}

/** How requests are spread in time. */
export interface ArrivalOptions {
  /** `--request-rate` in requests per second; Infinity sends all at t = 0. Ignored with `rampUp`. */
  readonly rate: number;
  /** A rate that grows over the run instead of `rate`. */
  readonly rampUp?: RampUp;
  /** `--burstiness`: the gamma shape, > 0 or Infinity; default 1 (Poisson). */
  readonly burstiness?: number;
  /** Seed of the gaps; default 0. */
  readonly seed?: number;
}

/**
 * `requests` with `arrival` set as vLLM's serving benchmark would send them (see the module
 * comment); the order is kept. Throws a RangeError for a rate or burstiness that is not positive.
 */
export function requestArrivals(
  requests: readonly SimulatedRequest[],
  options: ArrivalOptions,
): SimulatedRequest[] {
  const { rate, rampUp } = options;
  const burstiness = options.burstiness ?? 1;
  if (!(rate > 0) && rampUp === undefined) throw new RangeError("rate must be positive");
  if (!(burstiness > 0)) throw new RangeError("burstiness must be positive");
  if (rate === Number.POSITIVE_INFINITY && rampUp === undefined) {
    return requests.map((r) => ({ ...r, arrival: 0 }));
  }
  const random = seededRandom(options.seed ?? 0);
  const times: number[] = [];
  let at = 0;
  for (let i = 0; i < requests.length; i++) {
    const current = rampUp === undefined ? rate : rampUpRate(rampUp, i, requests.length);
    // serve.py asserts every rate is positive (a linear ramp from 0 fails on its first request).
    if (!(current > 0)) throw new RangeError(`request ${i} would be sent at rate ${current}`);
    at +=
      burstiness === Number.POSITIVE_INFINITY
        ? 1 / current
        : gammaSample(random, burstiness) / (current * burstiness);
    times.push(at);
  }
  // Without a ramp-up vLLM rescales so the last request is sent at exactly N / rate.
  const scale = rampUp === undefined && at > 0 ? requests.length / rate / at : 1;
  return requests.map((request, i) => ({ ...request, arrival: (times[i] as number) * scale }));
}

/** {@link requestArrivals} with burstiness 1: a Poisson process of `rate` requests per second. */
export function poissonArrivals(
  requests: readonly SimulatedRequest[],
  rate: number,
  seed = 0,
): SimulatedRequest[] {
  return requestArrivals(requests, { rate, seed });
}
