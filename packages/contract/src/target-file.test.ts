import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseTargetsFile, readTargetsFile } from "./target-file.js";

describe("parseTargetsFile", () => {
  it("reads YAML with relative paths resolved against the file and tokens from the env", () => {
    const yaml = `
targets:
  - runtime: triton
    rest: https://triton-ns.apps.example.com
    grpc: https://triton-grpc-ns.apps.example.com:443
    tokenEnv: TRITON_TOKEN
    model: simple
    caFile: ./ca.crt
    knownFailing: known-failing-triton.txt
  - runtime: caikit-tgis
    name: lab-caikit
    group: lab
    rest: http://caikit.lab:8080
    knownFailing:
      - "caikit-tgis/tls/* # the lab has no TLS"
`;
    const targets = parseTargetsFile(yaml, "/etc/servingkit/targets.yaml", { TRITON_TOKEN: "tok" });
    expect(targets).toEqual([
      {
        name: "live:triton",
        group: "live",
        runtime: "triton",
        rest: "https://triton-ns.apps.example.com",
        grpc: "https://triton-grpc-ns.apps.example.com:443",
        token: "tok",
        authMode: "serverless",
        model: "simple",
        tls: { caFile: "/etc/servingkit/ca.crt" },
        knownFailing: "/etc/servingkit/known-failing-triton.txt",
      },
      {
        name: "lab-caikit",
        group: "lab",
        runtime: "caikit-tgis",
        rest: "http://caikit.lab:8080",
        knownFailing: [
          {
            pattern: "caikit-tgis/tls/*",
            reason: "the lab has no TLS",
            source: "/etc/servingkit/targets.yaml: targets[1].knownFailing:1",
          },
        ],
      },
    ]);
  });

  it("deployment: modelmesh marks the target; an unknown deployment is an error", () => {
    const yaml = (deployment: string) =>
      `targets:\n  - runtime: ovms\n    rest: https://mm.example.com\n    deployment: ${deployment}\n`;
    expect(parseTargetsFile(yaml("modelmesh"), "t.yaml", {})[0]?.deployment).toBe("modelmesh");
    expect(parseTargetsFile(yaml("single-model"), "t.yaml", {})[0]?.deployment).toBeUndefined();
    expect(() => parseTargetsFile(yaml("multi"), "t.yaml", {})).toThrow(
      't.yaml: targets[0]: deployment "multi" is not one of single-model, modelmesh',
    );
  });

  it("reads JSON too", () => {
    const json = JSON.stringify({
      targets: [{ runtime: "vllm", rest: "http://localhost:8080", authMode: "none" }],
    });
    expect(parseTargetsFile(json, "t.json", {})).toEqual([
      { name: "live:vllm", group: "live", runtime: "vllm", rest: "http://localhost:8080" },
    ]);
  });

  it.each([
    ["targets: [", /not valid YAML or JSON/],
    ["- runtime: vllm", /expected a top-level "targets:" list/],
    ["targets:\n  - rest: http://h", /targets\[0\]: runtime is required/],
    ["targets:\n  - runtime: tensorflow\n    rest: http://h", /runtime "tensorflow" is not one of/],
    ["targets:\n  - runtime: vllm", /needs a REST URL or a gRPC address/],
    [
      "targets:\n  - runtime: vllm\n    rest: http://h\n    authmode: raw",
      /unknown field "authmode"/,
    ],
    ["targets:\n  - runtime: vllm\n    rest: 8080", /targets\[0\]\.rest: expected a string/],
    [
      "targets:\n  - runtime: vllm\n    rest: http://h\n    insecure: yes-please",
      /insecure: expected true or false/,
    ],
    [
      "targets:\n  - runtime: vllm\n    rest: http://h\n    tokenEnv: NOPE",
      /tokenEnv NOPE is not set/,
    ],
    [
      "targets:\n  - runtime: vllm\n    rest: http://h\n  - runtime: vllm\n    rest: http://i",
      /two targets are named "live:vllm"/,
    ],
    [
      "targets:\n  - runtime: vllm\n    rest: http://h\n    knownFailing: [1]",
      /knownFailing: expected/,
    ],
  ])("rejects %j", (text, message) => {
    expect(() => parseTargetsFile(text, "targets.yaml", {})).toThrow(message);
  });

  it("names the file it cannot read", async () => {
    const dir = await mkdtemp(join(tmpdir(), "targets-"));
    await expect(readTargetsFile(join(dir, "missing.yaml"))).rejects.toThrow(
      /cannot read targets file .*missing\.yaml/,
    );
  });

  it("reads a file from disk", async () => {
    const dir = await mkdtemp(join(tmpdir(), "targets-"));
    const path = join(dir, "targets.yml");
    await writeFile(path, "targets:\n  - runtime: tgis\n    grpc: localhost:8033\n");
    expect((await readTargetsFile(path, {}))[0]?.grpc).toBe("localhost:8033");
  });
});
