import { describe, expect, it } from "vitest";
import { deviceProfiles } from "./device-profiles.js";
import { modelProfiles } from "./model-profiles.js";
import { addToLoad, createStepTimeModel, emptyLoad } from "./step-time.js";

const h100 = deviceProfiles["h100-80gb"];
const llama8b = modelProfiles["llama-3.1-8b"];
const bare = { stepOverhead: 0, perSequenceOverhead: 0 };

describe("step time", () => {
  it("bounds a batch-1 decode step by reading the weights: about 16 GB at 82% of 3.35 TB/s", () => {
    // vllm-openai.md §9.1: memory-bandwidth floor ≈5 ms per token for a 7-8B FP16 model at ~3 TB/s.
    const model = createStepTimeModel({ device: h100, model: llama8b, parameters: bare });
    const load = addToLoad(emptyLoad(), 1, 100);
    expect(model.memoryTime(load)).toBeGreaterThan(model.computeTime(load));
    expect(model.time(load)).toBeCloseTo((16_060_522_496 + 101 * 131_072) / (3.35e12 * 0.82), 9);
  });

  it("makes a long prefill compute-bound: 2 FLOPs per weight per token at 70% of 989 TFLOPS", () => {
    const model = createStepTimeModel({ device: h100, model: llama8b, parameters: bare });
    const load = addToLoad(emptyLoad(), 4096, 0);
    expect(model.computeTime(load)).toBeGreaterThan(model.memoryTime(load));
    // ≈4096 × 14 GFLOP / 693 TFLOP/s ≈ 83 ms, plus attention over the prompt.
    expect(model.time(load)).toBeGreaterThan(0.08);
    expect(model.time(load)).toBeLessThan(0.1);
  });

  it("makes each step longer as the decode batch grows (inter-token latency rises with load)", () => {
    // vllm-openai.md §9: "ITL grows with batch size".
    const model = createStepTimeModel({ device: h100, model: llama8b });
    const decode = (batch: number) => {
      const load = emptyLoad();
      for (let i = 0; i < batch; i++) addToLoad(load, 1, 1000);
      return model.time(load);
    };
    expect(decode(1)).toBeLessThan(decode(8));
    expect(decode(8)).toBeLessThan(decode(64));
    expect(decode(64)).toBeLessThan(decode(512));
  });

  it("adds the attention phase's KV reads to a compute-bound projection phase (a mixed batch)", () => {
    const model = createStepTimeModel({ device: h100, model: llama8b, parameters: bare });
    const load = addToLoad(emptyLoad(), 2048, 0); // a prefill chunk: projections compute-bound
    for (let i = 0; i < 200; i++) addToLoad(load, 1, 4000); // decodes over long contexts: attention bound by KV reads
    const kvRead = (load.kvTokensRead * 131_072) / (3.35e12 * 0.82);
    expect(model.time(load)).toBeGreaterThan(model.computeTime(load));
    expect(model.time(load)).toBeGreaterThan(kvRead);
    expect(model.time(load)).toBeLessThan(model.computeTime(load) + kvRead);
  });

  it("adds the fixed and per-sequence overheads and nothing for an empty step", () => {
    const model = createStepTimeModel({
      device: h100,
      model: llama8b,
      parameters: { stepOverhead: 0.001 },
    });
    expect(model.time(emptyLoad())).toBe(0);
    const load = addToLoad(addToLoad(emptyLoad(), 1, 10), 1, 10);
    expect(model.time(load)).toBeCloseTo(model.memoryTime(load) + 0.001 + 2 * 5e-6, 12);
  });

  it("splits work over tensor-parallel GPUs and charges all-reduces", () => {
    const one = createStepTimeModel({
      device: h100,
      model: modelProfiles["llama-3.1-70b"],
      tensorParallelSize: 1,
    });
    const four = createStepTimeModel({
      device: h100,
      model: modelProfiles["llama-3.1-70b"],
      tensorParallelSize: 4,
    });
    const load = addToLoad(emptyLoad(), 1, 500);
    expect(four.memoryTime(load)).toBeCloseTo(one.memoryTime(load) / 4, 9);
    expect(four.time(load) - four.memoryTime(load)).toBeCloseTo(
      2 * 80 * 15e-6 + 0.000625 + 5e-6,
      9,
    );
    expect(() =>
      createStepTimeModel({ device: h100, model: llama8b, parameters: { computeEfficiency: 2 } }),
    ).toThrow(RangeError);
  });
});
