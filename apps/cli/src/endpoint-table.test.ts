import { describe, expect, it } from "vitest";
import { endpointTable, readyLine } from "./endpoint-table.js";

describe("readyLine", () => {
  it("names the runtime and its URLs", () => {
    expect(
      readyLine({
        runtime: "triton",
        endpoints: { http: "http://127.0.0.1:8080", grpc: "127.0.0.1:9000" },
      }),
    ).toBe("servingkit triton ready: REST http://127.0.0.1:8080  gRPC 127.0.0.1:9000");
    expect(
      readyLine({
        runtime: "vllm",
        endpoints: { http: "https://127.0.0.1:8080" },
        certificatePem: "x",
      }),
    ).toBe("servingkit vllm ready: REST https://127.0.0.1:8080");
    expect(
      readyLine({
        runtime: "tgis",
        endpoints: { http: "https://h:1", grpc: "h:2" },
        certificatePem: "pem",
      }),
    ).toBe("servingkit tgis ready: REST https://h:1  gRPC h:2 (TLS)");
  });

  it("names the model ids clients must send, when the module gives them", () => {
    // Issue 5: the default model id is printed in the ready line.
    expect(
      readyLine({
        runtime: "caikit-tgis",
        endpoints: { http: "http://h:8080", grpc: "h:8085" },
        models: ["flan-t5-small-caikit"],
      }),
    ).toBe(
      "servingkit caikit-tgis ready: REST http://h:8080  gRPC h:8085  model flan-t5-small-caikit",
    );
    expect(
      readyLine({
        runtime: "caikit-standalone",
        endpoints: { http: "http://h:1" },
        models: ["a", "b"],
      }),
    ).toBe("servingkit caikit-standalone ready: REST http://h:1  models a, b");
    expect(readyLine({ runtime: "vllm", endpoints: { http: "http://h:1" }, models: [] })).toBe(
      "servingkit vllm ready: REST http://h:1",
    );
  });

  it("names the first three of many model ids, then how many more", () => {
    // Every KServe v2 URL names a model (kserve-v2.md §1), and Triton's mock serves 16 built-ins.
    const mock = { runtime: "triton" as const, endpoints: { http: "http://h:1", grpc: "h:2" } };
    expect(readyLine({ ...mock, models: ["simple", "simple_string", "identity_bool"] })).toBe(
      "servingkit triton ready: REST http://h:1  gRPC h:2  models simple, simple_string, identity_bool",
    );
    expect(
      readyLine({
        ...mock,
        models: ["simple", "simple_string", "identity_bool", "identity_uint8"],
      }),
    ).toBe(
      "servingkit triton ready: REST http://h:1  gRPC h:2  models simple, simple_string, identity_bool +1 more",
    );
    const sixteen = Array.from({ length: 16 }, (_, i) => `m${i}`);
    expect(readyLine({ ...mock, models: sixteen })).toMatch(/ {2}models m0, m1, m2 \+13 more$/);
  });
});

describe("endpointTable", () => {
  it("pads columns to the widest cell", () => {
    const table = endpointTable([
      { runtime: "vllm", endpoints: { http: "http://127.0.0.1:8080" } },
      {
        runtime: "caikit-standalone",
        endpoints: { http: "http://127.0.0.1:8100", grpc: "127.0.0.1:8101" },
      },
    ]);
    expect(table.split("\n")).toEqual([
      "runtime            REST                   gRPC",
      "vllm               http://127.0.0.1:8080  -",
      "caikit-standalone  http://127.0.0.1:8100  127.0.0.1:8101",
    ]);
  });
});
