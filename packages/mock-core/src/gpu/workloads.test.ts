import { describe, expect, it } from "vitest";
import type { SimulatedRequest } from "./simulate.js";
import {
  assignLoras,
  fixedLength,
  randomDataset,
  repeatedPrompts,
  shareGptLike,
} from "./workloads.js";

describe("workloads", () => {
  it("draws random-dataset lengths from vLLM's integer ranges", () => {
    // vllm/benchmarks/datasets.py RandomDataset.get_sampling_params: input in
    // [floor(len(1-r)), ceil(len(1+r))], output likewise and at least 1.
    const requests = randomDataset({
      count: 2000,
      inputLen: 100,
      outputLen: 10,
      rangeRatio: 0.5,
      seed: 3,
    });
    const inputs = requests.map((r) => r.prompt as number);
    const outputs = requests.map((r) => r.outputTokens);
    expect(Math.min(...inputs)).toBe(50);
    expect(Math.max(...inputs)).toBe(150);
    expect(Math.min(...outputs)).toBe(5);
    expect(Math.max(...outputs)).toBe(15);
    expect(randomDataset({ count: 3 })).toEqual([
      { id: "req-0", prompt: 1024, outputTokens: 128 },
      { id: "req-1", prompt: 1024, outputTokens: 128 },
      { id: "req-2", prompt: 1024, outputTokens: 128 },
    ]);
    expect(randomDataset({ count: 5, seed: 1, rangeRatio: 0.3 })).toEqual(
      randomDataset({ count: 5, seed: 1, rangeRatio: 0.3 }),
    );
  });

  it("puts one shared prefix in front of unique prompt tokens", () => {
    const [a, b] = randomDataset({ count: 2, inputLen: 8, outputLen: 1, prefixLen: 32 });
    const pa = a?.prompt as number[];
    const pb = b?.prompt as number[];
    expect(pa).toHaveLength(40);
    expect(pa.slice(0, 32)).toEqual(pb.slice(0, 32));
    expect(pa.slice(32).some((t) => pb.slice(32).includes(t))).toBe(false);
  });

  it("refuses what vLLM refuses", () => {
    expect(() => randomDataset({ count: 1, rangeRatio: 1 })).toThrow(
      /range ratio must be in \[0, 1\)/,
    );
    expect(() => randomDataset({ count: 1, inputLen: 1, rangeRatio: 0.5 })).toThrow(/empty/);
    expect(() => randomDataset({ count: 1.5 })).toThrow(RangeError);
  });

  it("keeps ShareGPT-like lengths inside vLLM's filter", () => {
    for (const r of shareGptLike({ count: 500, seed: 2 })) {
      const prompt = r.prompt as number;
      expect(prompt).toBeGreaterThanOrEqual(4);
      expect(prompt).toBeLessThanOrEqual(1024);
      expect(prompt + r.outputTokens).toBeLessThanOrEqual(2048);
    }
  });

  it("cycles through a fixed prompt list as a harness's built-in prompts, sharing the template prefix", () => {
    // yobitelcomm/bench plugins/llm-inference datasets.py: builtin:// cycles a fixed prompt list
    // round-robin; plugin.py sends each with max_tokens=128.
    const requests = repeatedPrompts({
      count: 25,
      distinct: 10,
      sharedPrefix: 27,
      ownTokens: 18,
      outputTokens: 128,
    });
    expect(requests).toHaveLength(25);
    const prompts = requests.map((r) => r.prompt as number[]);
    expect(prompts.every((p) => p.length === 45)).toBe(true);
    expect(prompts[12]).toEqual(prompts[2]);
    expect(prompts[3]).not.toEqual(prompts[4]);
    expect(prompts[3]?.slice(0, 27)).toEqual(prompts[4]?.slice(0, 27));
    expect(requests.every((r) => r.outputTokens === 128)).toBe(true);
    expect(() =>
      repeatedPrompts({ count: 1, distinct: 0, sharedPrefix: 0, ownTokens: 1, outputTokens: 1 }),
    ).toThrow(RangeError);
    expect(() =>
      repeatedPrompts({ count: 1.5, distinct: 1, sharedPrefix: 0, ownTokens: 1, outputTokens: 1 }),
    ).toThrow(RangeError);
  });
});

describe("assignLoras", () => {
  const requests = fixedLength(40, 16, 4);

  it("picks one of the modules per request at random, seeded, as vllm bench serve --lora-modules", () => {
    // vllm/benchmarks/serve.py --lora-modules: "For each request, the script chooses a LoRA
    // module at random" (default --lora-assignment random).
    const a = assignLoras(requests, { modules: ["x", "y", "z"], seed: 7 });
    expect(a.map((r) => r.lora)).toEqual(
      assignLoras(requests, { modules: ["x", "y", "z"], seed: 7 }).map((r) => r.lora),
    );
    expect(new Set(a.map((r) => r.lora))).toEqual(new Set(["x", "y", "z"]));
    expect(a.map((r) => r.id)).toEqual(requests.map((r) => r.id));
  });

  it("cycles through them with round-robin and keeps an adapter a request already names", () => {
    // vllm bench serve --lora-assignment round-robin: cycles through the modules in order.
    const mixed = [{ ...requests[0], lora: "own" } as SimulatedRequest, ...requests.slice(1, 4)];
    const r = assignLoras(mixed, { modules: ["x", "y"], assignment: "round-robin" });
    expect(r.map((q) => q.lora)).toEqual(["own", "x", "y", "x"]);
    expect(() => assignLoras(requests, { modules: [] })).toThrow(RangeError);
    expect(() => assignLoras(requests, { modules: ["x", ""] })).toThrow(RangeError);
  });
});
