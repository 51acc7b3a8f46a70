import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtimeNames } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { targetFeatures } from "./target.js";
import { TargetConfigError } from "./target-config.js";
import { loadTargets, runtimeVariablePrefix, unconfiguredTarget } from "./target-env.js";

describe("loadTargets from environment variables", () => {
  it("builds one live target per runtime with a URL or gRPC address", async () => {
    const targets = await loadTargets({
      cwd: "/work",
      env: {
        SERVINGKIT_TRITON_URL: "https://triton-ns.apps.example.com/",
        SERVINGKIT_TRITON_GRPC: "https://triton-grpc-ns.apps.example.com:443",
        SERVINGKIT_TRITON_TOKEN: "sha256~abc",
        SERVINGKIT_TRITON_MODEL: "simple",
        SERVINGKIT_TRITON_CA_FILE: "certs/ca.crt",
        SERVINGKIT_TRITON_KNOWN_FAILING: "/etc/kf.txt",
        SERVINGKIT_CAIKIT_TGIS_URL: "http://localhost:8080",
        SERVINGKIT_CAIKIT_TGIS_INSECURE: "true",
        SERVINGKIT_TGIS_GRPC: "localhost:8033",
        SERVINGKIT_TGIS_TOKEN: "t",
        SERVINGKIT_TGIS_AUTH_MODE: "raw",
      },
    });
    expect(targets).toEqual([
      {
        name: "live:caikit-tgis",
        group: "live",
        runtime: "caikit-tgis",
        rest: "http://localhost:8080",
        tls: { insecure: true },
      },
      {
        name: "live:tgis",
        group: "live",
        runtime: "tgis",
        grpc: "localhost:8033",
        token: "t",
        authMode: "raw",
      },
      {
        name: "live:triton",
        group: "live",
        runtime: "triton",
        rest: "https://triton-ns.apps.example.com",
        grpc: "https://triton-grpc-ns.apps.example.com:443",
        token: "sha256~abc",
        // A token alone means the serverless (Authorino) shape, the platform's default.
        authMode: "serverless",
        model: "simple",
        tls: { caFile: "/work/certs/ca.crt" },
        knownFailing: "/etc/kf.txt",
      },
    ]);
  });

  it("SERVINGKIT_<RUNTIME>_DEPLOYMENT=modelmesh marks a target served behind ModelMesh", async () => {
    const targets = await loadTargets({
      env: {
        SERVINGKIT_OVMS_URL: "https://mm.example.com",
        SERVINGKIT_OVMS_DEPLOYMENT: "modelmesh",
      },
    });
    expect(targets.map((t) => [t.name, t.deployment])).toEqual([["live:ovms", "modelmesh"]]);
  });

  it("returns one skipping placeholder per runtime when nothing is configured", async () => {
    const targets = await loadTargets({ env: {} });
    expect(targets.map((target) => target.name)).toEqual(runtimeNames.map((r) => `live:${r}`));
    expect(targets[0]?.skipReason).toMatch(/SERVINGKIT_VLLM_URL/);
    expect(await loadTargets({ env: {}, placeholders: false })).toEqual([]);
  });

  it("selects targets by name with SERVINGKIT_TARGET globs", async () => {
    const env = {
      SERVINGKIT_OVMS_URL: "http://localhost:8888",
      SERVINGKIT_MLSERVER_URL: "http://localhost:8080",
    };
    const selected = await loadTargets({ env: { ...env, SERVINGKIT_TARGET: "live:ovms" } });
    expect(selected.map((target) => target.name)).toEqual(["live:ovms"]);
    await expect(loadTargets({ env: { ...env, SERVINGKIT_TARGET: "live:vllm" } })).rejects.toThrow(
      /matches no configured target \(configured: live:ovms, live:mlserver\)/,
    );
  });

  it("rejects bad values with the variable named", async () => {
    await expect(loadTargets({ env: { SERVINGKIT_VLLM_URL: "ftp://x" } })).rejects.toThrow(
      /SERVINGKIT_VLLM_\*: REST URL "ftp:\/\/x" must use http or https/,
    );
    await expect(
      loadTargets({ env: { SERVINGKIT_VLLM_URL: "http://x", SERVINGKIT_VLLM_AUTH_MODE: "oauth" } }),
    ).rejects.toThrow(/authMode "oauth" is not one of serverless, raw, none/);
    await expect(
      loadTargets({ env: { SERVINGKIT_VLLM_URL: "http://x", SERVINGKIT_VLLM_AUTH_MODE: "raw" } }),
    ).rejects.toThrow(TargetConfigError);
    await expect(
      loadTargets({ env: { SERVINGKIT_VLLM_URL: "http://x", SERVINGKIT_VLLM_INSECURE: "maybe" } }),
    ).rejects.toThrow(/SERVINGKIT_VLLM_INSECURE=maybe/);
    await expect(loadTargets({ env: { SERVINGKIT_TGIS_GRPC: "not an address" } })).rejects.toThrow(
      /is not host:port or a URL/,
    );
  });

  it("reads SERVINGKIT_TARGETS_FILE and refuses a name defined twice", async () => {
    const dir = await mkdtemp(join(tmpdir(), "targets-"));
    await writeFile(join(dir, "t.yaml"), "targets:\n  - runtime: ovms\n    rest: http://h:8888\n");
    const fromFile = await loadTargets({ cwd: dir, env: { SERVINGKIT_TARGETS_FILE: "t.yaml" } });
    expect(fromFile.map((target) => target.name)).toEqual(["live:ovms"]);
    await expect(
      loadTargets({
        cwd: dir,
        env: { SERVINGKIT_TARGETS_FILE: "t.yaml", SERVINGKIT_OVMS_URL: "http://other:8888" },
      }),
    ).rejects.toThrow(/also defined in SERVINGKIT_TARGETS_FILE/);
  });

  it("names the variable prefix per runtime", () => {
    expect(runtimeVariablePrefix("caikit-standalone")).toBe("SERVINGKIT_CAIKIT_STANDALONE");
    expect(unconfiguredTarget("tgis").skipReason).toContain("SERVINGKIT_TGIS_GRPC");
  });
});

describe("targetFeatures", () => {
  it("derives auth, open, tls, private-ca and model per transport", () => {
    const target = {
      name: "t",
      group: "live",
      runtime: "triton" as const,
      rest: "https://h",
      grpc: "h:9000",
      token: "x",
      authMode: "serverless" as const,
      model: "m",
      tls: { caFile: "/ca" },
    };
    expect([...targetFeatures(target, "rest")].sort()).toEqual([
      "auth",
      "model",
      "private-ca",
      "tls",
    ]);
    expect([...targetFeatures(target, "grpc")].sort()).toEqual(["auth", "model"]);
    const open = { name: "o", group: "mock", runtime: "vllm" as const, rest: "http://h" };
    expect([...targetFeatures(open, "rest")]).toEqual(["open"]);
  });
});
