import { describe, expect, it } from "vitest";
import { isRuntimeName, runtimeCatalog, runtimeNames } from "./runtime-catalog.js";

describe("the runtime catalog", () => {
  it("has the seven runtimes of the seeds, each under its own name", () => {
    expect(runtimeNames).toEqual([
      "vllm",
      "caikit-tgis",
      "caikit-standalone",
      "tgis",
      "ovms",
      "triton",
      "mlserver",
    ]);
    for (const name of runtimeNames) expect(runtimeCatalog[name].name).toBe(name);
    expect(isRuntimeName("triton")).toBe(true);
    expect(isRuntimeName("all")).toBe(false);
  });

  it("uses the platform's ports (ARCHITECTURE.md Ports)", () => {
    const ports = Object.fromEntries(
      runtimeNames.map((n) => [n, [runtimeCatalog[n].httpPort, runtimeCatalog[n].grpcPort]]),
    );
    expect(ports).toEqual({
      vllm: [8080, undefined],
      "caikit-tgis": [8080, 8085],
      "caikit-standalone": [8080, 8085],
      tgis: [3000, 8033],
      ovms: [8888, 8001],
      triton: [8080, 9000],
      mlserver: [8080, 8081],
    });
  });

  it("serves gRPC health for Triton and Caikit, reflection for Caikit only", () => {
    // kserve-v2.md §4.1 (Triton health), caikit-tgis.md §2.1 (Caikit health + reflection),
    // caikit-tgis.md §3 (TGIS: neither).
    const with_ = (key: "grpcHealth" | "grpcReflection") =>
      runtimeNames.filter((n) => runtimeCatalog[n][key]);
    expect(with_("grpcHealth")).toEqual(["caikit-tgis", "caikit-standalone", "triton"]);
    expect(with_("grpcReflection")).toEqual(["caikit-tgis", "caikit-standalone"]);
  });

  it("lists the health routes each real runtime answers", () => {
    const routes = Object.fromEntries(
      runtimeNames.map((n) => [n, runtimeCatalog[n].healthRoutes.map((r) => r.path)]),
    );
    expect(routes).toEqual({
      vllm: ["/health", "/ping"],
      "caikit-tgis": ["/health"],
      "caikit-standalone": ["/health"],
      tgis: ["/health"],
      ovms: ["/v2/health/live", "/v2/health/ready"],
      triton: ["/v2/health/live", "/v2/health/ready"],
      mlserver: ["/v2/health/live", "/v2/health/ready"],
    });
  });
});
