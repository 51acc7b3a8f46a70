import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ContractCase, defineCase } from "./contract-case.js";
import { parseKnownFailing } from "./known-failing.js";
import { runContract, runOne } from "./run-contract.js";
import type { Target } from "./target.js";
import { unconfiguredTarget } from "./target-env.js";

// Synthetic cases that touch no network: they pin the runner's semantics, not a runtime's.
const passing = defineCase({
  id: "demo/passes",
  title: "always passes",
  source: "test",
  runtimes: ["triton", "ovms"],
  transport: "rest",
  run: async () => undefined,
});
const failing = defineCase({
  id: "demo/fails",
  title: "always fails",
  source: "test",
  runtimes: ["triton"],
  transport: "rest",
  run: async () => assert.equal(1, 2, "one is not two"),
});
const selfSkipping = defineCase({
  id: "demo/skips",
  title: "skips itself",
  source: "test",
  runtimes: ["triton"],
  transport: "rest",
  run: async (context) => context.skip("nothing to check here"),
});
const needsGrpc = defineCase({
  id: "demo/grpc",
  title: "needs gRPC",
  source: "test",
  runtimes: ["triton"],
  transport: "grpc",
  run: async () => undefined,
});
const needsAuth = defineCase({
  id: "demo/auth",
  title: "needs auth",
  source: "test",
  runtimes: ["triton"],
  transport: "rest",
  needs: ["auth"],
  run: async () => undefined,
});
const hangs = defineCase({
  id: "demo/hangs",
  title: "never settles",
  source: "test",
  runtimes: ["triton"],
  transport: "rest",
  run: () => new Promise<void>(() => undefined),
});
const cases: ContractCase[] = [passing, failing, selfSkipping, needsGrpc, needsAuth];

const triton: Target = {
  name: "live:triton",
  group: "live",
  runtime: "triton",
  rest: "http://127.0.0.1:9",
};

describe("runContract", () => {
  it("runs applicable cases, skipping with a reason where the target lacks something", async () => {
    const report = await runContract({ targets: [triton], cases });
    expect(report.results.map((r) => [r.name, r.status, r.message])).toEqual([
      ["triton/demo/passes", "pass", undefined],
      ["triton/demo/fails", "fail", "one is not two"],
      ["triton/demo/skips", "skip", "nothing to check here"],
      ["triton/demo/grpc", "skip", "target has no gRPC address"],
      ["triton/demo/auth", "skip", "target lacks auth"],
    ]);
    expect(report.results[1]?.details).toContain("AssertionError");
    expect(report.ok).toBe(false);
    expect(report.counts).toEqual({
      pass: 1,
      fail: 1,
      skip: 3,
      "known-fail": 0,
      "unexpected-pass": 0,
    });
    expect(report.targets).toEqual([
      { name: "live:triton", group: "live", runtime: "triton", rest: "http://127.0.0.1:9" },
    ]);
  });

  it("accepts a listed failure as known-fail and the run stays ok", async () => {
    const target = {
      ...triton,
      knownFailing: parseKnownFailing("triton/demo/fails # the demo fails on purpose"),
    };
    const report = await runContract({ targets: [target], cases: [passing, failing] });
    expect(report.results.map((r) => r.status)).toEqual(["pass", "known-fail"]);
    expect(report.results[1]?.message).toMatch(
      /^the demo fails on purpose \(listed at inline:1; failed with: one is not two\)$/,
    );
    expect(report.ok).toBe(true);
  });

  it("fails the run when a listed case passes, so the list cannot rot", async () => {
    const target = { ...triton, knownFailing: parseKnownFailing("triton/demo/* # all of them") };
    const report = await runContract({ targets: [target], cases: [passing, failing] });
    expect(report.results.map((r) => r.status)).toEqual(["unexpected-pass", "known-fail"]);
    expect(report.results[0]?.message).toMatch(
      /listed as known-failing at inline:1 .*remove the entry/,
    );
    expect(report.ok).toBe(false);
  });

  it("reads a known-failing file and reports an entry that matches no case as a problem", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kf-"));
    const file = join(dir, "known-failing.txt");
    await writeFile(file, "triton/demo/fails # on purpose\ntriton/demo/renamed-long-ago # stale\n");
    const report = await runContract({ targets: [{ ...triton, knownFailing: file }], cases });
    expect(report.counts["known-fail"]).toBe(1);
    expect(report.problems).toEqual([
      `live:triton: known-failing entry "triton/demo/renamed-long-ago" (${file}:2) matches no case; remove or fix it`,
    ]);
    expect(report.ok).toBe(false);
  });

  it("filters by include and exclude globs over full names", async () => {
    const ovms: Target = { ...triton, name: "live:ovms", runtime: "ovms" };
    const report = await runContract({
      targets: [triton, ovms],
      cases,
      include: ["*/demo/*"],
      exclude: ["triton/demo/{fails,skips,grpc,auth}"],
    });
    expect(report.results.map((r) => `${r.target} ${r.name}`)).toEqual([
      "live:triton triton/demo/passes",
      "live:ovms ovms/demo/passes",
    ]);
    expect(report.ok).toBe(true);
  });

  it("reports every case of a placeholder target as skipped, never passed", async () => {
    const report = await runContract({ targets: [unconfiguredTarget("triton")], cases });
    expect(new Set(report.results.map((r) => r.status))).toEqual(new Set(["skip"]));
    expect(report.results[0]?.message).toMatch(/no live triton endpoint configured/);
    expect(report.ok).toBe(true);
  });

  it("refuses unreadable known-failing and CA files, naming them", async () => {
    await expect(
      runContract({ targets: [{ ...triton, knownFailing: "/nonexistent/kf.txt" }], cases }),
    ).rejects.toThrow(/cannot read known-failing file \/nonexistent\/kf\.txt/);
    await expect(
      runContract({ targets: [{ ...triton, tls: { caFile: "/nonexistent/ca.crt" } }], cases }),
    ).rejects.toThrow(/live:triton: cannot read CA file \/nonexistent\/ca\.crt/);
  });

  it("refuses two targets with one name", async () => {
    await expect(runContract({ targets: [triton, triton], cases })).rejects.toThrow(
      /two targets are named "live:triton"/,
    );
  });

  it("calls onResult for each result as it is known", async () => {
    const seen: string[] = [];
    await runContract({ targets: [triton], cases: [passing], onResult: (r) => seen.push(r.name) });
    expect(seen).toEqual(["triton/demo/passes"]);
  });
});

describe("runOne", () => {
  it("fails a case that does not settle within the timeout and aborts its signal", async () => {
    let aborted = false;
    const watching = defineCase({
      ...hangs,
      run: (context) =>
        new Promise<void>(() => {
          context.signal.addEventListener("abort", () => {
            aborted = true;
          });
        }),
    });
    const result = await runOne(watching, triton, 50);
    expect(result.status).toBe("fail");
    expect(result.message).toBe("timed out after 50 ms");
    expect(aborted).toBe(true);
  });
});

describe("defineCase", () => {
  it("insists on <concern>/<case> ids in kebab-case and at least one runtime", () => {
    expect(() => defineCase({ ...passing, id: "health" })).toThrow(/must be "<concern>\/<case>"/);
    expect(() => defineCase({ ...passing, id: "Health/Live" })).toThrow(/kebab-case/);
    expect(() => defineCase({ ...passing, runtimes: [] })).toThrow(/applies to no runtime/);
  });
});
