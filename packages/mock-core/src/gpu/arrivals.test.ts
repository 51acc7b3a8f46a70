import { describe, expect, it } from "vitest";
import { seededRandom } from "../engine/random.js";
import { gammaSample, poissonArrivals, rampUpRate, requestArrivals } from "./arrivals.js";
import { fixedLength } from "./workloads.js";

const gaps = (arrivals: readonly { arrival?: number }[]) =>
  arrivals.map(
    (r, i) => (r.arrival as number) - (i === 0 ? 0 : (arrivals[i - 1]?.arrival as number)),
  );
const cv = (xs: readonly number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return sd / mean;
};

describe("request arrivals", () => {
  it("spaces requests as vllm bench serve does: the last at exactly N / rate", () => {
    // vllm/benchmarks/serve.py get_request: every request (the first too) waits a gap; the
    // cumulative delays are rescaled so the last equals total_requests / request_rate.
    const timed = poissonArrivals(fixedLength(2000, 10, 10), 50, 7);
    expect(timed[0]?.arrival).toBeGreaterThan(0);
    expect(timed.at(-1)?.arrival).toBeCloseTo(2000 / 50, 9);
    expect(gaps(timed).every((g) => g >= 0)).toBe(true);
    // Exponential gaps (burstiness 1): coefficient of variation about 1.
    expect(cv(gaps(timed))).toBeGreaterThan(0.9);
    expect(cv(gaps(timed))).toBeLessThan(1.1);
    expect(poissonArrivals(fixedLength(5, 1, 1), 50, 7)).toEqual(
      poissonArrivals(fixedLength(5, 1, 1), 50, 7),
    );
  });

  it("makes arrivals burstier below burstiness 1 and evener above it", () => {
    // serve.py: gaps ~ Gamma(shape = burstiness, scale = 1 / (rate × burstiness)); CV = 1/√shape.
    const requests = fixedLength(4000, 1, 1);
    const bursty = cv(gaps(requestArrivals(requests, { rate: 10, burstiness: 0.25, seed: 1 })));
    const even = cv(gaps(requestArrivals(requests, { rate: 10, burstiness: 4, seed: 1 })));
    expect(bursty).toBeGreaterThan(1.8);
    expect(bursty).toBeLessThan(2.2);
    expect(even).toBeGreaterThan(0.45);
    expect(even).toBeLessThan(0.55);
    const constant = requestArrivals(fixedLength(4, 1, 1), { rate: 2, burstiness: Infinity });
    expect(constant.map((r) => r.arrival)).toEqual([0.5, 1, 1.5, 2]);
  });

  it("ramps the rate up linearly or exponentially over the requests, without rescaling", () => {
    // serve.py _get_current_request_rate: progress = i / (N − 1).
    const linear = { strategy: "linear", startRps: 1, endRps: 21 } as const;
    const exponential = { strategy: "exponential", startRps: 1, endRps: 100 } as const;
    expect([0, 5, 10].map((i) => rampUpRate(linear, i, 11))).toEqual([1, 11, 21]);
    expect(rampUpRate(exponential, 5, 11)).toBeCloseTo(10, 9);
    const timed = requestArrivals(fixedLength(400, 1, 1), {
      rate: Infinity,
      rampUp: exponential,
      burstiness: Infinity,
      seed: 2,
    });
    const g = gaps(timed);
    expect(g[0]).toBe(1);
    expect(g.at(-1)).toBeCloseTo(0.01, 9);
    expect(() =>
      requestArrivals(fixedLength(3, 1, 1), {
        rate: Infinity,
        rampUp: { strategy: "linear", startRps: 0, endRps: 5 },
      }),
    ).toThrow(/rate 0/);
  });

  it("sends everything at t = 0 at an infinite rate and refuses a rate or burstiness ≤ 0", () => {
    const all = requestArrivals(fixedLength(3, 1, 1), { rate: Infinity });
    expect(all.map((r) => r.arrival)).toEqual([0, 0, 0]);
    expect(() => requestArrivals([], { rate: 0 })).toThrow(RangeError);
    expect(() => requestArrivals([], { rate: 1, burstiness: 0 })).toThrow(RangeError);
  });

  it("samples the gamma distribution with the right mean for shapes below and above 1", () => {
    for (const shape of [0.3, 1, 2.5]) {
      const random = seededRandom(3);
      let sum = 0;
      for (let i = 0; i < 20_000; i++) sum += gammaSample(random, shape);
      expect(sum / 20_000).toBeCloseTo(shape, 1);
    }
  });
});
