import { loadRuntimeModules } from "@servingkit/mocks";
import { describe, expect, it } from "vitest";
import { UsageError } from "../cli-io.js";
import { allTargets, namedRuntimes, parseMockArgs } from "./mock-args.js";

const modules = await loadRuntimeModules();
const parse = (args: readonly string[]) => parseMockArgs(args, modules);

describe("parseMockArgs", () => {
  it("defaults to the runtime's platform ports (ARCHITECTURE.md Ports)", () => {
    expect(parse(["triton"]).targets).toEqual([
      { runtime: "triton", httpPort: 8080, grpcPort: 9000 },
    ]);
    expect(parse(["tgis"]).targets).toEqual([{ runtime: "tgis", httpPort: 3000, grpcPort: 8033 }]);
    expect(parse(["vllm"]).targets).toEqual([{ runtime: "vllm", httpPort: 8080 }]);
    // kserve-v2.md §3.4: ModelMesh serves REST on 8008 and gRPC on 8033.
    expect(parse(["triton", "--modelmesh"]).targets).toEqual([
      { runtime: "triton", httpPort: 8008, grpcPort: 8033 },
    ]);
  });

  it("reads every flag", () => {
    const plan = parse([
      "caikit-tgis",
      "--http-port=0",
      "--grpc-port",
      "9",
      "--host",
      "::1",
      "--token",
      "a",
      "--token",
      "b",
      "--forbidden-token",
      "c",
      "--auth-mode",
      "raw",
      "--tls",
      "--model",
      "flan",
      "--fault",
      "rate=0.25,status=503",
      "--slow-start",
      "1500",
      "--log-level",
      "debug",
      "--cert-out",
      "/tmp/ca.pem",
    ]);
    expect(plan).toMatchObject({
      targets: [{ runtime: "caikit-tgis", httpPort: 0, grpcPort: 9 }],
      host: "::1",
      tokens: ["a", "b"],
      forbiddenTokens: ["c"],
      authMode: "raw",
      tls: true,
      models: ["flan"],
      faults: [{ rate: 0.25, fault: { status: 503 } }],
      slowStartMs: 1500,
      logLevel: "debug",
      certOut: "/tmp/ca.pem",
    });
  });

  it("--tls-cert/--tls-key give the user's files", () => {
    expect(parse(["ovms", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).tls).toEqual({
      cert: "c.pem",
      key: "k.pem",
    });
  });

  it("a fault rule without rate applies to every request", () => {
    expect(parse(["vllm", "--fault", "delay-ms=20"]).faults).toEqual([
      { rate: 1, fault: { delayMs: 20 } },
    ]);
  });

  it("rejects rates that add up to more than 1", () => {
    expect(() =>
      parse(["vllm", "--fault", "rate=0.6,status=500", "--fault", "rate=0.6,status=503"]),
    ).toThrow(/add up to 1.2/);
  });

  it("rejects what cannot be served", () => {
    for (const argv of [
      ["all", "--http-port", "1"],
      ["triton", "--base-port", "1"],
      ["triton", "--slow-start", "soon"],
      ["triton", "--log-level", "loud"],
      ["triton", "--cert-out", "x.pem"],
      ["triton", "vllm"],
      ["all", "--base-port", "65530"],
    ]) {
      expect(() => parse(argv), argv.join(" ")).toThrow(UsageError);
    }
  });
});

describe("module options", () => {
  it("go to the runtime whose module declares them, and no other", () => {
    // --served-model-name is repeatable (vLLM's list of names), so it reads as a list.
    expect(parse(["vllm", "--served-model-name", "m"]).runtimeValues).toEqual({
      "served-model-name": ["m"],
    });
    expect(() => parse(["triton", "--served-model-name", "m"])).toThrow(
      "--served-model-name is an option of vllm",
    );
  });

  it("shared by several modules (the simulated GPU's, issue 7) reach any runtime that takes them", () => {
    for (const runtime of ["vllm", "tgis", "caikit-tgis"]) {
      expect(parse([runtime, "--gpu", "l4", "--time-scale", "10"]).runtimeValues).toEqual({
        gpu: "l4",
        "time-scale": "10",
      });
    }
    expect(() => parse(["ovms", "--gpu", "l4"])).toThrow(
      "--gpu is an option of vllm, caikit-tgis, caikit-standalone, tgis",
    );
  });
});

describe("namedRuntimes", () => {
  it("picks the runtime words of an argument list, all of them for 'all'", () => {
    expect(namedRuntimes(["triton", "--http-port", "0"])).toEqual(["triton"]);
    expect(namedRuntimes(["--model", "m", "ovms"])).toEqual(["ovms"]);
    expect(namedRuntimes(["--help"])).toEqual([]);
    expect(namedRuntimes(["all"]).sort()).toEqual(
      allTargets(0)
        .map((t) => t.runtime)
        .sort(),
    );
  });
});

describe("allTargets", () => {
  it("gives runtime i REST base+10i and gRPC base+10i+1, in catalog order", () => {
    expect(allTargets(8080)).toEqual([
      { runtime: "vllm", httpPort: 8080 },
      { runtime: "caikit-tgis", httpPort: 8090, grpcPort: 8091 },
      { runtime: "caikit-standalone", httpPort: 8100, grpcPort: 8101 },
      { runtime: "tgis", httpPort: 8110, grpcPort: 8111 },
      { runtime: "ovms", httpPort: 8120, grpcPort: 8121 },
      { runtime: "triton", httpPort: 8130, grpcPort: 8131 },
      { runtime: "mlserver", httpPort: 8140, grpcPort: 8141 },
    ]);
  });

  it("base 0 makes every port ephemeral", () => {
    expect(allTargets(0).every((t) => t.httpPort === 0 && (t.grpcPort ?? 0) === 0)).toBe(true);
  });
});
