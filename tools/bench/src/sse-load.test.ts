import { describe, expect, it } from "vitest";
import { LatencyRecorder } from "./measurement.js";
import { startRuntimeServer } from "./runtime-servers.js";
import { createSseDriver } from "./sse-load.js";

// A check of the streams scenario's parts, not a benchmark: the ticker baseline paces its events
// and the driver measures the gaps between them; bounds are generous.
describe("createSseDriver against the ticker SSE baseline", () => {
  it("counts events (not [DONE]) and records the gaps between them", async () => {
    const events = ["data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n"];
    const server = await startRuntimeServer({
      kind: "ticker-sse",
      path: "/v1/completions",
      events,
      intervalMs: 10,
    });
    const driver = createSseDriver({
      url: `${server.address}/v1/completions`,
      body: "{}",
      streams: 3,
      rampMs: 0,
    });
    const recorder = new LatencyRecorder();
    try {
      const counters = await driver.run(0, recorder);
      expect(counters.errors).toBe(0);
      expect(counters.ok).toBe(3 * events.length);
      expect(recorder.count).toBe(3 * (events.length - 1));
      expect(recorder.percentile(50)).toBeGreaterThan(5);
      expect(recorder.percentile(50)).toBeLessThan(200);
    } finally {
      recorder.destroy();
      await driver.close();
      await server.close();
    }
  });

  it("counts a non-200 answer as an error", async () => {
    const server = await startRuntimeServer({
      kind: "ticker-sse",
      path: "/v1/completions",
      events: ["data: 1\n\n"],
      intervalMs: 10,
    });
    const driver = createSseDriver({ url: `${server.address}/elsewhere`, body: "{}", streams: 1 });
    try {
      const counters = await driver.run(0);
      expect(counters).toMatchObject({ ok: 0, errors: 1 });
    } finally {
      await driver.close();
      await server.close();
    }
  });
});
