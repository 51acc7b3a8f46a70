/**
 * vLLM servers for the tests of the release-dependent cases: the vLLM mock answering as one
 * release (`--vllm-version`), and a proxy in front of it that reports another release on
 * `GET /version`, so a case that keys on the release is seen to fail when the routes and answers
 * do not match it. Each server is closed by the `closeAll` the test file calls after its tests.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startRuntimeMock } from "@servingkit/mocks";

/** Servers started by this module and not yet closed. */
const closers: (() => Promise<void>)[] = [];

/** Closes every server this module started (call it in `afterAll`). */
export async function closeAll(): Promise<void> {
  await Promise.all(closers.splice(0).map((close) => close()));
}

/** Starts the vLLM mock answering as `version`; its base URL. */
export async function vllmMock(version: string): Promise<string> {
  const mock = await startRuntimeMock({
    runtime: "vllm",
    host: "127.0.0.1",
    httpPort: 0,
    logger: false,
    values: { "vllm-version": version },
  });
  closers.push(() => mock.close());
  return mock.endpoints.http as string;
}

/**
 * A proxy in front of `upstream` that reports `version` on `GET /version` and passes every other
 * request through: a server whose release string does not match its routes. Its base URL.
 */
export async function misreporting(upstream: string, version: string): Promise<string> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/version") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ version }));
        return;
      }
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      fetch(`${upstream}${request.url ?? "/"}`, {
        method: request.method ?? "GET",
        headers: { "content-type": request.headers["content-type"] ?? "application/json" },
        ...(body !== undefined && { body }),
      }).then(
        async (answer) => {
          response.writeHead(answer.status, {
            "content-type": answer.headers.get("content-type") ?? "application/json",
          });
          response.end(Buffer.from(await answer.arrayBuffer()));
        },
        () => {
          response.writeHead(502);
          response.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
