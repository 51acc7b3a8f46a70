import type { RuntimeName } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { startMockTargets } from "./mock-targets.js";

describe("startMockTargets", () => {
  it("describes each started mock as a target with its token, auth mode and certificate", async () => {
    const mocks = await startMockTargets({
      group: "mock-x",
      runtimes: ["vllm", "tgis"],
      token: "t",
      authMode: "raw",
      tls: true,
    });
    try {
      const [vllm, tgis] = mocks.targets;
      expect(vllm).toMatchObject({
        name: "mock-x:vllm",
        group: "mock-x",
        runtime: "vllm",
        token: "t",
        authMode: "raw",
      });
      expect(vllm?.rest).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      // vLLM has no gRPC port; TGIS has one, addressed with the scheme TLS implies.
      expect(vllm?.grpc).toBeUndefined();
      expect(tgis?.grpc).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(tgis?.tls?.ca).toContain("BEGIN CERTIFICATE");
    } finally {
      await mocks.close();
    }
  });

  it("starts open, plaintext mocks by default", async () => {
    const mocks = await startMockTargets({ runtimes: ["ovms"] });
    try {
      expect(mocks.targets).toEqual([
        expect.objectContaining({ name: "mock:ovms", group: "mock", runtime: "ovms" }),
      ]);
      expect(mocks.targets[0]?.authMode).toBeUndefined();
      expect(mocks.targets[0]?.grpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await mocks.close();
    }
  });

  it("modelmesh: the KServe runtimes behind ModelMesh's REST proxy, and no other runtime", async () => {
    const mocks = await startMockTargets({ group: "mm", deployment: "modelmesh" });
    try {
      expect(mocks.targets.map((t) => [t.name, t.deployment])).toEqual([
        ["mm:ovms", "modelmesh"],
        ["mm:triton", "modelmesh"],
        ["mm:mlserver", "modelmesh"],
      ]);
      // kserve-v2.md §3.4: the proxy routes no /v2 (grpc-gateway's 404 JSON).
      const v2 = await fetch(`${mocks.targets[0]?.rest}/v2`);
      expect([v2.status, await v2.json()]).toEqual([404, { code: 5, message: "Not Found" }]);
    } finally {
      await mocks.close();
    }
    await expect(startMockTargets({ deployment: "modelmesh", runtimes: ["vllm"] })).rejects.toThrow(
      "ModelMesh serves only ovms, triton, mlserver, not vllm",
    );
  });

  it("closes what it started when one mock fails to start, and rethrows", async () => {
    await expect(
      startMockTargets({ runtimes: ["triton", "tensorflow" as RuntimeName] }),
    ).rejects.toThrow(/unknown runtime 'tensorflow'/);
  });
});
