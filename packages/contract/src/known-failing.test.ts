import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compileKnownFailing,
  KnownFailingSyntaxError,
  parseKnownFailing,
  readKnownFailing,
} from "./known-failing.js";

describe("parseKnownFailing", () => {
  it("reads one glob and reason per line, skipping comments and blank lines", () => {
    const text = [
      "# live cluster, serverless mode",
      "",
      "triton/auth/grpc-*   # gRPC route not exposed",
      "  ovms/health/rest-live # OVMS 2022 answers {} # with a hash in the reason",
    ].join("\r\n");
    expect(parseKnownFailing(text, "kf.txt")).toEqual([
      { pattern: "triton/auth/grpc-*", reason: "gRPC route not exposed", source: "kf.txt:3" },
      {
        pattern: "ovms/health/rest-live",
        reason: "OVMS 2022 answers {} # with a hash in the reason",
        source: "kf.txt:4",
      },
    ]);
  });

  it("rejects an entry without a reason, naming file and line", () => {
    expect(() => parseKnownFailing("# header\ntriton/health/rest-live\n", "kf.txt")).toThrow(
      KnownFailingSyntaxError,
    );
    expect(() => parseKnownFailing("triton/health/rest-live   #   \n", "kf.txt")).toThrow(
      /kf\.txt:1: .*no reason/,
    );
  });

  it("rejects two globs on one line", () => {
    expect(() => parseKnownFailing("a/b/c d/e/f # why", "kf.txt")).toThrow(/one case glob/);
  });

  it("reads a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kf-"));
    const path = join(dir, "known-failing.txt");
    await writeFile(path, "vllm/** # no vLLM on this cluster\n");
    expect(await readKnownFailing(path)).toEqual([
      { pattern: "vllm/**", reason: "no vLLM on this cluster", source: `${path}:1` },
    ]);
  });
});

describe("compileKnownFailing", () => {
  const list = compileKnownFailing(
    parseKnownFailing("triton/auth/* # a\n*/tls/rest-untrusted # b\nnothing/like/this # c\n"),
  );

  it("finds the first entry listing a case", () => {
    expect(list.find("triton/auth/rest-wrong-token")?.reason).toBe("a");
    expect(list.find("ovms/tls/rest-untrusted")?.reason).toBe("b");
    expect(list.find("triton/health/rest-live")).toBeUndefined();
  });

  it("tells which entries match no case", () => {
    const unmatched = list.unmatched(["triton/auth/rest-wrong-token", "ovms/tls/rest-untrusted"]);
    expect(unmatched.map((entry) => entry.pattern)).toEqual(["nothing/like/this"]);
  });
});
