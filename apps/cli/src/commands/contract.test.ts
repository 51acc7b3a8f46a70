/**
 * `servingkit contract` run in-process through `main(argv, io)` against real mocks.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRuntimeMock } from "@servingkit/mocks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../main.js";
import { testIo } from "../test-io.js";

describe("servingkit contract", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "servingkit-contract-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("--mocks runs the cases against in-process mocks and prints the table", async () => {
    const t = testIo();
    const junit = join(dir, "mocks.xml");
    const status = await main(
      ["contract", "--mocks", "--include", "triton/health/*", "--junit", junit],
      t.io,
    );
    expect(t.stderr()).toBe("");
    expect(status).toBe(0);
    expect(t.stdout()).toMatch(/triton/);
    expect(t.stdout()).toMatch(/pass/);
    const xml = await readFile(junit, "utf8");
    expect(xml).toMatch(/<testsuites\b/);
    expect(xml).toMatch(/triton\/health\//);
    expect(xml).not.toMatch(/<failure\b/);
  });

  // kserve-v2.md §3.4: the KServe v2 runtimes behind ModelMesh answer through its REST proxy and
  // model id routing; --mocks adds them as the mock-modelmesh group, --deployment names a live one.
  it("runs the ModelMesh cases on ModelMesh mocks and on an endpoint marked --deployment modelmesh", async () => {
    const mocks = testIo();
    const include = ["--include", "triton/kserve/rest-modelmesh-routes"];
    expect(await main(["contract", "--mocks", ...include], mocks.io)).toBe(0);
    expect(mocks.stdout()).toMatch(
      /^mock-modelmesh +triton\n-+ +-+\nkserve\/rest-modelmesh-routes +pass$/m,
    );
    expect(mocks.stdout()).toMatch(/^mock +triton\n-+ +-+\nkserve\/rest-modelmesh-routes +skip$/m);

    const live = await startRuntimeMock({
      runtime: "triton",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      values: { modelmesh: true },
      logger: false,
    });
    try {
      const args = ["contract", "--runtime", "triton", "--url", live.endpoints.http!];
      args.push("--grpc", live.endpoints.grpc!, "--include", "triton/kserve/*modelmesh*");
      const marked = testIo();
      expect(await main([...args, "--deployment", "modelmesh"], marked.io)).toBe(0);
      expect(marked.stdout()).toMatch(/grpc-modelmesh-id-header\s+pass/);
      const unmarked = testIo();
      expect(await main(args, unmarked.io)).toBe(0);
      expect(unmarked.stdout()).not.toMatch(/modelmesh-id-header\s+pass/);
      const wrong = testIo();
      expect(await main([...args, "--deployment", "mesh"], wrong.io)).toBe(2);
      expect(wrong.stderr()).toMatch(/deployment "mesh" is not one of single-model, modelmesh/);
    } finally {
      await live.close();
    }
  });

  it("checks a live endpoint named by flags, with its token and auth mode", async () => {
    // A mock started on its own stands in for a cluster endpoint: the command knows only the
    // URL and the token, as it would for a real route.
    const live = await startRuntimeMock({
      runtime: "ovms",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      tokens: ["cluster-token"],
      authMode: "raw",
      logger: false,
    });
    try {
      const args = ["contract", "--runtime", "ovms", "--url", live.endpoints.http!];
      args.push("--grpc", live.endpoints.grpc!);
      const right = testIo();
      const ok = await main([...args, "--token", "cluster-token", "--auth-mode", "raw"], right.io);
      expect(right.stderr()).toBe("");
      expect(ok).toBe(0);
      expect(right.stdout()).toMatch(/auth\/rest-right-token\s+pass/);
      expect(right.stdout()).toMatch(/auth\/grpc-right-token\s+pass/);
      expect(right.stdout()).toMatch(/auth\/grpc-missing-token\s+pass/);

      // Telling the suite the endpoint sits behind Authorino when it is behind kube-rbac-proxy
      // makes the refusal-shape cases fail: the contract tells the two modes apart.
      const wrong = testIo();
      const failed = await main(
        [...args, "--token", "cluster-token", "--auth-mode", "serverless"],
        wrong.io,
      );
      expect(failed).toBe(1);
      expect(wrong.stdout()).toMatch(/fail/);
    } finally {
      await live.close();
    }
  });

  it("refuses a wrong command line with exit 2 and a hint", async () => {
    const cases: [string[], RegExp][] = [
      [["contract", "--url", "http://127.0.0.1:1"], /--url and --grpc need --runtime/],
      [["contract", "--runtime", "nope", "--url", "http://127.0.0.1:1"], /runtime "nope"/],
      [["contract", "--mocks", "--format", "html"], /--format 'html'/],
      [["contract", "--mocks", "--timeout", "soon"], /--timeout 'soon'/],
      [["contract", "--bogus"], /bogus/],
    ];
    for (const [argv, message] of cases) {
      const t = testIo();
      expect(await main(argv, t.io)).toBe(2);
      expect(t.stderr()).toMatch(message);
      expect(t.stderr()).toMatch(/servingkit contract --help/);
    }
  });

  it("--help describes targets and options", async () => {
    const t = testIo();
    expect(await main(["contract", "--help"], t.io)).toBe(0);
    expect(t.stdout()).toMatch(/--runtime R --url U/);
    expect(t.stdout()).toMatch(/--known-failing/);
    expect(t.stdout()).toMatch(/SERVINGKIT_<RUNTIME>_URL/);
  });
});
