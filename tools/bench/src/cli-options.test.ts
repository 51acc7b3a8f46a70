import { describe, expect, it } from "vitest";
import { CliError, parseCliOptions } from "./cli-options.js";
import { defaultLoadSettings, scenarioNames } from "./scenarios.js";

describe("parseCliOptions", () => {
  it("defaults to every scenario with the default load", () => {
    expect(parseCliOptions([], "/docs/benchmarks.md")).toEqual({
      scenarios: scenarioNames,
      settings: defaultLoadSettings,
      json: false,
      help: false,
    });
  });

  it("reads flags, drops pnpm's --, and takes --write with or without a file", () => {
    const options = parseCliOptions(
      [
        "--",
        "--scenario",
        "grpc-health",
        "--duration",
        "0.5",
        "--rounds",
        "2",
        "--warmup",
        "0",
        "--in-flight",
        "8",
        "--write",
      ],
      "/docs/benchmarks.md",
    );
    expect(options.scenarios).toEqual(["grpc-health"]);
    expect(options.settings).toMatchObject({
      seconds: 0.5,
      rounds: 2,
      warmupSeconds: 0,
      inFlight: 8,
    });
    expect(options.write).toBe("/docs/benchmarks.md");
    expect(parseCliOptions(["--write", "/tmp/b.md", "--json"], "/d").write).toBe("/tmp/b.md");
  });

  it("selects a group of scenarios by the part before a dash", () => {
    expect(parseCliOptions(["--scenario", "kserve-infer"], "/d").scenarios).toEqual([
      "kserve-infer-rest",
      "kserve-infer-grpc",
      "kserve-infer-16mib",
    ]);
    expect(parseCliOptions(["--scenario", "vllm-streams", "--streams", "10"], "/d")).toMatchObject({
      scenarios: ["vllm-streams"],
      settings: { streams: 10 },
    });
  });

  it.each([
    [["--scenario", "kserve-inf"], /--scenario "kserve-inf" is not one of/],
    [["--scenario", "soak"], /--scenario "soak" is not one of/],
    [["--duration", "600"], /--duration 600: expected a number from 0.1 to 60/],
    [["--connections", "0"], /--connections 0: expected a whole number/],
    [["--rounds", "1.5"], /--rounds 1.5/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["stray"], /unexpected argument "stray"/],
  ])("rejects %j", (args, message) => {
    expect(() => parseCliOptions(args, "/d")).toThrow(CliError);
    expect(() => parseCliOptions(args, "/d")).toThrow(message);
  });
});
