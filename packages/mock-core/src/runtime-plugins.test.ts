/**
 * The base plugin's health routes as protocol plugins shape them: withheld (ModelMesh's proxy)
 * or wrapped by a runtime middleware (vLLM's X-Request-Id), never for the host's own answers.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type BuiltMock, buildMock, type MockOptions } from "./mock.js";
import type { MockPlugin } from "./plugin.js";
import { withholdBaseHealthRoutes, wrapBaseHealthRoutes } from "./runtime-plugins.js";

const mocks: BuiltMock[] = [];
afterEach(async () => {
  await Promise.all(mocks.splice(0).map((m) => m.close()));
});

async function build(options: MockOptions): Promise<BuiltMock> {
  const mock = await buildMock(options);
  mocks.push(mock);
  return mock;
}

/** A protocol plugin that only tags every base health answer with `x-tag: <method> <path>`. */
const tagging: MockPlugin = {
  name: "tagging",
  rest(_app, ctx) {
    wrapBaseHealthRoutes(ctx, (head, reply) => ({
      status: reply.status,
      headers: { ...reply.headers, "x-tag": `${head.method} ${head.path}` },
      body: reply.body,
    }));
  },
};

describe("wrapBaseHealthRoutes", () => {
  // vllm-openai.md §1: /health answers 200 with an empty body; /ping is its alias, GET and POST.
  it("passes every answer of the base health routes through the wrapper", async () => {
    const mock = await build({ runtime: "vllm", plugins: [tagging] });
    const health = await mock.http.inject({ method: "GET", url: "/health" });
    expect([health.statusCode, health.headers["x-tag"], health.body]).toEqual([
      200,
      "GET /health",
      "",
    ]);
    const ping = await mock.http.inject({ method: "POST", url: "/ping" });
    expect([ping.statusCode, ping.headers["x-tag"]]).toEqual([200, "POST /ping"]);
    // Unknown paths are not health routes: the runtime's 404 hook answers them, untouched.
    const unknown = await mock.http.inject({ method: "GET", url: "/nope" });
    expect([unknown.statusCode, unknown.headers["x-tag"]]).toEqual([404, undefined]);
  });

  // kserve-v2.md §5: the platform's proxy refuses a missing token before the runtime sees it.
  it("leaves the host's token refusals and faults unwrapped", async () => {
    const mock = await build({ runtime: "vllm", plugins: [tagging], tokens: ["t"] });
    const refused = await mock.http.inject({ method: "GET", url: "/health" });
    expect([refused.statusCode, refused.headers["x-tag"]]).toEqual([401, undefined]);
    const faulted = await mock.http.inject({
      method: "GET",
      url: "/health",
      headers: { authorization: "Bearer t", "x-servingkit-fault": "status=503" },
    });
    expect([faulted.statusCode, faulted.headers["x-tag"]]).toEqual([503, undefined]);
  });

  // kserve-v2.md §3.4: behind ModelMesh's proxy the health paths are unknown routes; a wrapper
  // still sees the withheld answer, as a middleware around the whole app would.
  it("wraps a withheld answer too", async () => {
    const withholding: MockPlugin = {
      name: "withholding",
      rest(_app, ctx) {
        withholdBaseHealthRoutes(ctx, { status: 404, body: "gone" });
      },
    };
    const mock = await build({ runtime: "triton", plugins: [withholding, tagging] });
    const live = await mock.http.inject({ method: "GET", url: "/v2/health/live" });
    expect([live.statusCode, live.body, live.headers["x-tag"]]).toEqual([
      404,
      "gone",
      "GET /v2/health/live",
    ]);
  });
});
