/**
 * The command line run in-process through `main(argv, io)`, with real mocks and real clients.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { selfSignedCertificate } from "@servingkit/mock-core";
import { loadRuntimeModules } from "@servingkit/mocks";
import { describe, expect, it } from "vitest";
import { cliVersion, main } from "./main.js";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

import { testIo } from "./test-io.js";

/** Waits until `predicate` holds on the output (the command prints as it starts). */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("servingkit (global)", () => {
  it("--version prints the package version", async () => {
    const t = testIo();
    expect(await main(["--version"], t.io)).toBe(0);
    expect(t.stdout()).toBe(`${cliVersion()}\n`);
    expect(cliVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("--help lists the commands", async () => {
    const t = testIo();
    expect(await main(["--help"], t.io)).toBe(0);
    expect(t.stdout()).toContain("Usage: servingkit <command>");
    expect(t.stdout()).toMatch(/mock\s+start a mock runtime/);
  });

  it("no command: the overview on stderr, exit 2", async () => {
    const t = testIo();
    expect(await main([], t.io)).toBe(2);
    expect(t.stderr()).toContain("Commands:");
  });

  it("an unknown command or global flag: a clear error, exit 2", async () => {
    const t = testIo();
    expect(await main(["serve"], t.io)).toBe(2);
    expect(t.stderr()).toContain("unknown command 'serve'");
    expect(await main(["--nope"], t.io)).toBe(2);
    expect(t.stderr()).toContain("unknown option '--nope'");
  });

  it("help <command> is the command's --help", async () => {
    const t = testIo();
    expect(await main(["help", "mock"], t.io)).toBe(0);
    expect(t.stdout()).toContain("Usage: servingkit mock <runtime>");
  });
});

describe("servingkit mock", () => {
  it("--help documents runtimes, flags and the fault grammar", async () => {
    const t = testIo();
    expect(await main(["mock", "--help"], t.io)).toBe(0);
    const help = t.stdout();
    for (const text of [
      "triton",
      "caikit-standalone",
      "--auth-mode",
      "--slow-start",
      "x-servingkit-fault",
      "cut-after",
    ]) {
      expect(help).toContain(text);
    }
  });

  it("--help lists every runtime module's own options, each apart from its text", async () => {
    const t = testIo();
    expect(await main(["mock", "--help"], t.io)).toBe(0);
    const help = t.stdout();
    for (const module of await loadRuntimeModules()) {
      for (const [name, option] of Object.entries(module.options ?? {})) {
        const flag = `--${name}${option.valueName ? ` ${option.valueName}` : ""}`;
        // At least two spaces between a flag and its help, however long the flag.
        expect(help).toMatch(new RegExp(`^  ${escapeRegExp(flag)} {2,}\\S`, "m"));
      }
    }
  });

  it("unknown runtimes and flags: exit 2 with the reason and a --help hint", async () => {
    for (const [argv, reason] of [
      [["mock", "tritonn"], "unknown runtime 'tritonn'"],
      [["mock", "triton", "--port", "1"], "Unknown option '--port'"],
      [["mock", "triton", "--http-port", "99999"], "--http-port must be a port number"],
      [["mock", "vllm", "--grpc-port", "1"], "vllm has no gRPC port"],
      [["mock", "triton", "--auth-mode", "oauth"], "--auth-mode must be serverless or raw"],
      [["mock", "triton", "--fault", "status=abc"], "status must be an integer"],
      [["mock", "triton", "--tls-cert", "a.pem"], "--tls-cert and --tls-key go together"],
      [["mock"], "name a runtime"],
    ] as const) {
      const t = testIo();
      expect(await main(argv, t.io), argv.join(" ")).toBe(2);
      expect(t.stderr()).toContain(reason);
      expect(t.stderr()).toContain("servingkit mock --help");
    }
  });

  it("starts one runtime, prints its ready line, serves with auth, and stops on shutdown", async () => {
    const t = testIo();
    const argv = ["mock", "triton", "--host", "127.0.0.1", "--http-port", "0", "--grpc-port", "0"];
    const done = main([...argv, "--token", "s3cret", "--log-level", "info"], t.io);
    await until(() => t.stdout().includes("ready:"), "the ready line");
    const line = t
      .stdout()
      .split("\n")
      .find((l) => l.includes("ready:")) as string;
    expect(line).toMatch(
      /^servingkit triton ready: REST http:\/\/127\.0\.0\.1:\d+ {2}gRPC 127\.0\.0\.1:\d+ {2}models simple, simple_string, identity_bool \+14 more$/,
    );
    const rest = (line.match(/REST (\S+)/) as RegExpMatchArray)[1];
    const refused = await fetch(`${rest}/v2/health/ready`);
    expect(refused.status).toBe(401);
    const ok = await fetch(`${rest}/v2/health/ready`, {
      headers: { authorization: "Bearer s3cret" },
    });
    expect(ok.status).toBe(200);
    // The request log: one JSON line per request.
    await until(() => t.stdout().includes('"status":200'), "the request log line");
    const logged = t
      .stdout()
      .split("\n")
      .filter((l) => l.startsWith("{") && l.includes('"path"'));
    expect(logged.map((l) => JSON.parse(l))).toMatchObject([
      { runtime: "triton", method: "GET", path: "/v2/health/ready", status: 401 },
      { runtime: "triton", method: "GET", path: "/v2/health/ready", status: 200 },
    ]);
    t.stop();
    expect(await done).toBe(0);
    await expect(fetch(`${rest}/v2/health/ready`)).rejects.toThrow();
  });

  it("mock all starts every runtime on distinct ports and prints a table", async () => {
    const t = testIo();
    const done = main(
      ["mock", "all", "--host", "127.0.0.1", "--base-port", "0", "--log-level", "silent"],
      t.io,
    );
    await until(() => t.stdout().includes("runtime "), "the endpoint table");
    const lines = t.stdout().split("\n");
    const ready = lines.filter((l) => l.includes(" ready: "));
    expect(ready.map((l) => l.split(" ")[1])).toEqual([
      "vllm",
      "caikit-tgis",
      "caikit-standalone",
      "tgis",
      "ovms",
      "triton",
      "mlserver",
    ]);
    const urls = ready.map((l) => (l.match(/REST (\S+)/) as RegExpMatchArray)[1] as string);
    expect(new Set(urls).size).toBe(7);
    // Every REST endpoint answers its runtime's health route.
    const health = [
      "/health",
      "/health",
      "/health",
      "/health",
      "/v2/health/ready",
      "/v2/health/ready",
      "/v2/health/ready",
    ];
    const statuses = await Promise.all(
      urls.map(async (u, i) => (await fetch(`${u}${health[i]}`)).status),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(t.stdout()).toMatch(/runtime\s+REST\s+gRPC\nvllm\s+http:\/\/127\.0\.0\.1:\d+\s+-\n/);
    t.stop();
    expect(await done).toBe(0);
  });

  it("--tls-cert/--tls-key serve the user's files; --cert-out writes the PEM to trust", async () => {
    const pair = await selfSignedCertificate();
    const dir = mkdtempSync(join(tmpdir(), "servingkit-"));
    writeFileSync(join(dir, "c.pem"), pair.cert);
    writeFileSync(join(dir, "k.pem"), pair.key);
    const t = testIo();
    const done = main(
      [
        "mock",
        "ovms",
        "--host",
        "127.0.0.1",
        "--http-port",
        "0",
        "--grpc-port",
        "0",
        "--tls-cert",
        join(dir, "c.pem"),
        "--tls-key",
        join(dir, "k.pem"),
        "--cert-out",
        join(dir, "out.pem"),
        "--log-level",
        "silent",
      ],
      t.io,
    );
    await until(() => t.stdout().includes("ready:"), "the ready line");
    expect(t.stdout()).toMatch(/REST https:\/\/127\.0\.0\.1:\d+ {2}gRPC 127\.0\.0\.1:\d+ \(TLS\)/);
    expect(readFileSync(join(dir, "out.pem"), "utf8")).toBe(pair.cert);
    t.stop();
    expect(await done).toBe(0);
  });

  it("a port already in use: exit 1 with the reason, nothing left running", async () => {
    const first = testIo();
    const running = main(
      ["mock", "vllm", "--host", "127.0.0.1", "--http-port", "0", "--log-level", "silent"],
      first.io,
    );
    await until(() => first.stdout().includes("ready:"), "the first mock");
    const port = (
      first.stdout().match(/REST http:\/\/127\.0\.0\.1:(\d+)/) as RegExpMatchArray
    )[1] as string;
    const second = testIo();
    const code = await main(
      ["mock", "vllm", "--host", "127.0.0.1", "--http-port", port],
      second.io,
    );
    expect(code).toBe(1);
    expect(second.stderr()).toBe(
      `servingkit mock: vllm: the REST port ${port} on 127.0.0.1 is already in use (EADDRINUSE); stop what listens there or choose another port with --http-port P (0 = any free port)\n`,
    );
    first.stop();
    expect(await running).toBe(0);
  });
});
