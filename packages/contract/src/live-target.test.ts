/**
 * The live path end to end, without a cluster: a mock started on its own plays the cluster, and
 * the target is described the way a user would, through environment variables and a CA file on
 * disk, so target loading, file-based trust and `insecure` are exercised with real handshakes.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningMock } from "@servingkit/mock-core";
import { startRuntimeMock } from "@servingkit/mocks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runContract } from "./run-contract.js";
import { loadTargets } from "./target-env.js";

describe("a live target described by environment variables", () => {
  let mock: RunningMock;
  let caFile: string;
  let dir: string;

  beforeAll(async () => {
    mock = await startRuntimeMock({
      runtime: "triton",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      tokens: ["live-token"],
      authMode: "raw",
      tls: true,
    });
    dir = await mkdtemp(join(tmpdir(), "live-"));
    caFile = join(dir, "ca.crt");
    await writeFile(caFile, mock.certificatePem ?? "");
  });

  afterAll(async () => {
    await mock.close();
  });

  const env = () => ({
    SERVINGKIT_TRITON_URL: mock.endpoints.http,
    SERVINGKIT_TRITON_GRPC: `https://${mock.endpoints.grpc}`,
    SERVINGKIT_TRITON_TOKEN: "live-token",
    SERVINGKIT_TRITON_AUTH_MODE: "raw",
    SERVINGKIT_TRITON_CA_FILE: caFile,
  });

  it("passes every Triton case with the CA from a file", async () => {
    const targets = await loadTargets({ env: env() });
    const report = await runContract({ targets });
    // All but ModelMesh's own cases, which a single-model target skips.
    expect(
      report.results.filter((r) => r.status !== "pass").map((r) => [r.name, r.message]),
    ).toEqual(
      ["triton/kserve/rest-modelmesh-routes", "triton/kserve/grpc-modelmesh-id-header"].map(
        (name) => [name, "target is a single-model deployment, which the case does not apply to"],
      ),
    );
    expect(report.results.map((r) => r.name)).toContain("triton/tls/grpc-untrusted");
    expect(report.ok).toBe(true);
  });

  it("reaches the endpoint with insecure instead of a CA, and skips the private-CA cases", async () => {
    const { SERVINGKIT_TRITON_CA_FILE: _, ...rest } = env();
    const targets = await loadTargets({ env: { ...rest, SERVINGKIT_TRITON_INSECURE: "1" } });
    const report = await runContract({ targets, include: ["triton/tls/*", "triton/health/*"] });
    const byName = new Map(report.results.map((r) => [r.name, r]));
    expect(byName.get("triton/tls/rest-reachable")?.status).toBe("pass");
    expect(byName.get("triton/tls/grpc-reachable")?.status).toBe("pass");
    expect(byName.get("triton/tls/rest-untrusted")).toMatchObject({
      status: "skip",
      message: "target lacks private-ca",
    });
    expect(report.ok).toBe(true);
  });

  it("fails the TLS cases without any trust, and a known-failing file turns them into known-fail", async () => {
    const { SERVINGKIT_TRITON_CA_FILE: _, ...rest } = env();
    const knownFailing = join(dir, "known-failing.txt");
    await writeFile(knownFailing, "triton/** # this target's CA is not configured\n");
    const include = ["triton/health/rest-live", "triton/tls/rest-reachable"];
    const plain = await runContract({ targets: await loadTargets({ env: rest }), include });
    expect(plain.results.map((r) => r.status)).toEqual(["fail", "fail"]);
    expect(plain.results[0]?.message).toMatch(/certificate/);
    const listed = await runContract({
      targets: await loadTargets({
        env: { ...rest, SERVINGKIT_TRITON_KNOWN_FAILING: knownFailing },
      }),
      include,
    });
    expect(listed.results.map((r) => r.status)).toEqual(["known-fail", "known-fail"]);
    expect(listed.ok).toBe(true);
  });

  it("a wrong auth mode is caught: raw refusals do not look like Authorino's", async () => {
    const targets = await loadTargets({
      env: { ...env(), SERVINGKIT_TRITON_AUTH_MODE: "serverless" },
    });
    const report = await runContract({ targets, include: ["triton/auth/rest-*"] });
    const statuses = Object.fromEntries(report.results.map((r) => [r.caseId, r.status]));
    expect(statuses).toEqual({
      "auth/rest-missing-token": "fail",
      "auth/rest-wrong-token": "fail",
      "auth/rest-right-token": "pass",
    });
  });
});
