/**
 * The real executable in a real process: `bin.ts` run by Node straight from the sources (the
 * `@servingkit/source` condition and a resolve hook, test/register-source.mjs), so no build is
 * needed; signals end it gracefully.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("./bin.ts", import.meta.url));
const hook = fileURLToPath(new URL("../test/register-source.mjs", import.meta.url));
const nodeArgs = [
  "--experimental-transform-types",
  "--no-warnings",
  "--conditions=@servingkit/source",
  "--import",
  hook,
  bin,
];

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function run(args: string[]) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exit, stdout: () => stdout, stderr: () => stderr };
}

async function until(predicate: () => boolean, what: string, describeState: () => string) {
  for (let i = 0; i < 1500; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}: ${describeState()}`);
}

describe("the servingkit executable", () => {
  it("--version exits 0; an unknown runtime exits 2", async () => {
    const version = run(["--version"]);
    expect(await version.exit).toBe(0);
    expect(version.stdout()).toMatch(/^\d+\.\d+\.\d+/);
    const wrong = run(["mock", "nope"]);
    expect(await wrong.exit).toBe(2);
    expect(wrong.stderr()).toContain("unknown runtime 'nope'");
  });

  it("serves a mock over TLS with a token until SIGTERM, then exits 0", async () => {
    const certFile = join(mkdtempSync(join(tmpdir(), "servingkit-")), "ca.pem");
    const p = run([
      "mock",
      "caikit-tgis",
      "--host",
      "127.0.0.1",
      "--http-port",
      "0",
      "--grpc-port",
      "0",
      "--tls",
      "--cert-out",
      certFile,
      "--token",
      "tok",
    ]);
    await until(
      () => p.stdout().includes("ready:"),
      "the ready line",
      () => p.stdout() + p.stderr(),
    );
    const line = p
      .stdout()
      .split("\n")
      .find((l) => l.includes("ready:")) as string;
    expect(line).toMatch(
      /^servingkit caikit-tgis ready: REST https:\/\/127\.0\.0\.1:\d+ {2}gRPC 127\.0\.0\.1:\d+ \(TLS\) {2}model flan-t5-small-caikit$/,
    );
    const url = `${(line.match(/REST (\S+)/) as RegExpMatchArray)[1]}/health`;
    const ca = readFileSync(certFile, "utf8");
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { ca, headers: { authorization: "Bearer tok" } }, (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
    // caikit-tgis.md §1.1: GET /health → 200 OK.
    expect(answer).toEqual({ status: 200, body: "OK" });
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(0);
  });
});
