import { describe, expect, it } from "vitest";
import { UsageError } from "../cli-io.js";
import { readMockPlan, startFailure } from "./mock.js";

describe("startFailure", () => {
  const inUse = (port: number) =>
    Object.assign(new Error(`listen EADDRINUSE: address already in use 0.0.0.0:${port}`), {
      code: "EADDRINUSE",
      port,
      address: "0.0.0.0",
    });
  const triton = { runtime: "triton", httpPort: 8080, grpcPort: 9000 } as const;

  it("names the listener and the flag that moves it", () => {
    expect(startFailure(inUse(9000), triton)).toBe(
      "triton: the gRPC port 9000 on 0.0.0.0 is already in use (EADDRINUSE); stop what listens there or choose another port with --grpc-port Q (0 = any free port)",
    );
    expect(startFailure(inUse(8080), triton)).toContain("the REST port 8080");
    expect(startFailure(inUse(8080), triton)).toContain("--http-port P");
  });

  it("passes any other failure through as its message", () => {
    expect(startFailure(new Error("no such model directory"), triton)).toBe(
      "no such model directory",
    );
  });
});

describe("readMockPlan", () => {
  it("loads only the families of the runtimes named", async () => {
    const { plan, modules } = await readMockPlan(["triton", "--http-port", "0"]);
    expect(plan.targets.map((t) => t.runtime)).toEqual(["triton"]);
    expect(modules.map((m) => m.runtimes)).toEqual([["ovms", "triton", "mlserver"]]);
    const all = await readMockPlan(["all", "--base-port", "0"]);
    expect(all.modules).toHaveLength(4);
  });

  it("answers as a reading with every module where the named families do not know a flag", async () => {
    // The flag belongs to vLLM's module: the error names its runtimes, not "unknown option".
    await expect(readMockPlan(["triton", "--served-model-name", "m"])).rejects.toThrow(
      "--served-model-name is an option of vllm",
    );
    await expect(readMockPlan(["triton", "--no-such-flag"])).rejects.toThrow(UsageError);
    await expect(readMockPlan([])).rejects.toThrow("name a runtime");
  });
});
