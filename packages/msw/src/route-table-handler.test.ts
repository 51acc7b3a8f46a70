import {
  type MockPlugin,
  type RestRouteTable,
  realClock,
  runtimePlugin,
} from "@servingkit/mock-core";
import { vllmRestSurface } from "@servingkit/vllm/mock";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeTableHandler } from "./route-table-handler.js";

let streamEnded: "done" | "closed" | undefined;
const table: RestRouteTable = {
  routes: [
    {
      method: "GET",
      path: "/hello/:name",
      handle: (r) => ({ status: 200, body: `hi ${r.params.name}` }),
    },
    {
      method: "POST",
      path: "/echo",
      handle: (r) => ({
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ body: Buffer.isBuffer(r.body) ? "bytes" : r.body, query: r.query }),
      }),
    },
    {
      method: "GET",
      path: "/boom",
      handle: () => {
        throw new Error("kaput");
      },
    },
    {
      method: "GET",
      path: "/endless",
      handle: () => ({
        status: 200,
        headers: { "content-type": "text/plain" },
        body: (async function* () {
          try {
            for (let i = 0; ; i += 1) {
              yield `${i}\n`;
              await new Promise((resolve) => setTimeout(resolve, 2));
            }
          } finally {
            streamEnded = "closed";
          }
        })(),
      }),
    },
  ],
};

const base = "http://tables.test/prefix";
const seeing = "http://seeing.test";
const keyed = "http://vllm-keyed.test";
/** Echoes what the 404/405 hooks were given (a runtime middleware in front of its router would). */
const seeingPlugin: MockPlugin = {
  name: "seeing",
  notFound: (method, path, headers) => ({
    status: 404,
    body: `${method} ${path} ${headers["x-trace"]}`,
  }),
  methodNotAllowed: (method, path, allowed, headers) => ({
    status: 405,
    body: `${method} ${path} ${allowed.join(",")} ${headers["x-trace"]}`,
  }),
};
const vllm = await vllmRestSurface(
  { models: [], values: { "api-key": "k", "enable-request-id-headers": true } },
  realClock,
  {},
);
const server = setupServer(
  routeTableHandler({ baseUrl: seeing, tables: [table], plugins: [seeingPlugin] }),
  routeTableHandler({
    baseUrl: keyed,
    tables: vllm.tables,
    plugins: [runtimePlugin("vllm"), vllm.plugin],
  }),
  routeTableHandler({
    baseUrl: base,
    tables: [table],
    plugins: [runtimePlugin("triton")],
    bodyLimit: 16,
  }),
  http.get("http://tables.test/elsewhere", () => HttpResponse.text("next handler")),
);
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterAll(() => server.close());

describe("routeTableHandler", () => {
  it("routes under the base URL's path prefix with decoded params", async () => {
    const response = await fetch(`${base}/hello/a%20b`);
    expect(await response.text()).toBe("hi a b");
  });

  it("lets requests outside the base URL through to later handlers", async () => {
    expect(await (await fetch("http://tables.test/elsewhere")).text()).toBe("next handler");
  });

  it("answers HEAD from the GET route without a body", async () => {
    const response = await fetch(`${base}/hello/x`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("parses JSON bodies, passes other bodies as bytes, reads repeated query keys as arrays", async () => {
    const json = await fetch(`${base}/echo?a=1&b=2&b=3`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: '{"x":1}',
    });
    expect(await json.json()).toEqual({ body: { x: 1 }, query: { a: "1", b: ["2", "3"] } });
    const bytes = await fetch(`${base}/echo`, { method: "POST", body: "plain" });
    expect((await bytes.json()).body).toBe("bytes");
  });

  // kserve-v2.md §3.1: Triton's own 404/405 bodies and its {"error": ...} envelope (catalog).
  it("answers with the runtime's 404, 405, malformed JSON and 500 answers", async () => {
    const missing = await fetch(`${base}/nowhere`);
    expect([missing.status, await missing.text()]).toEqual([404, '{"error":"Not Found"}']);
    const wrong = await fetch(`${base}/echo`);
    expect([wrong.status, await wrong.text()]).toEqual([405, '{"error":"Method Not Allowed"}']);
    const boom = await fetch(`${base}/boom`);
    expect([boom.status, await boom.text()]).toEqual([500, '{"error":"Internal Server Error"}']);
    const tooLarge = await fetch(`${base}/echo`, { method: "POST", body: "x".repeat(17) });
    expect(tooLarge.status).toBe(413);
  });

  it("streams chunk by chunk and closes the source when the client leaves", async () => {
    const leave = new AbortController();
    const response = await fetch(`${base}/endless`, { signal: leave.signal });
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toBe("0\n");
    leave.abort();
    await reader?.cancel().catch(() => undefined);
    await expect.poll(() => streamEnded, { timeout: 2000 }).toBe("closed");
  });
});

describe("the 404/405 hooks see the request's headers", () => {
  it("gives notFound and methodNotAllowed the method, path and headers", async () => {
    const trace = { "x-trace": "t1" };
    const missing = await fetch(`${seeing}/a/b?q=1`, { headers: trace });
    expect([missing.status, await missing.text()]).toEqual([404, "GET /a/b t1"]);
    const wrong = await fetch(`${seeing}/echo`, { method: "PUT", headers: trace });
    expect([wrong.status, await wrong.text()]).toEqual([405, "PUT /echo POST t1"]);
  });

  // vllm-openai.md §2: vLLM's key middleware runs before routing, on every /v1 path however deep;
  // §1: past it, FastAPI's 404; X-Request-Id (--enable-request-id-headers) wraps both.
  it("lets vLLM's --api-key answer unknown /v1 paths of any depth", async () => {
    const deep = `${keyed}/v1/a/b/c/d/e/f/g/h/i`;
    const refused = await fetch(deep, { headers: { "x-request-id": "r1" } });
    expect([refused.status, await refused.text()]).toEqual([401, '{"error": "Unauthorized"}']);
    expect(refused.headers.get("x-request-id")).toBe("r1");
    const found = await fetch(deep, { headers: { authorization: "Bearer k" } });
    expect([found.status, await found.text()]).toEqual([404, '{"detail":"Not Found"}']);
    expect(found.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    for (const path of ["/v1/", "/v1foo"]) {
      expect((await fetch(`${keyed}${path}`)).status, path).toBe(401);
    }
  });
});
