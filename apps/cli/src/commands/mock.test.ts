import { describe, expect, it } from "vitest";
import { startFailure } from "./mock.js";

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
