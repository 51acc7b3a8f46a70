/**
 * The REST side of a case's context against a server that echoes what it received: bodies,
 * content types, methods and the target's token arrive as a case asked for them.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { runtimeCatalog } from "@servingkit/mock-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaseContext } from "./case-context.js";

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({
          method: request.method,
          contentType: request.headers["content-type"] ?? null,
          authorization: request.headers.authorization ?? null,
          protocol: request.headers["x-protocol"] ?? null,
          body: Buffer.concat(chunks).toString("latin1"),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function context() {
  const target = {
    name: "echo",
    group: "test",
    runtime: "triton",
    rest: base,
    token: "t0k",
  } as const;
  return createCaseContext(target, runtimeCatalog.triton, new AbortController().signal, 5_000);
}

describe("CaseContext.rest", () => {
  it("GETs with the target's token by default", async () => {
    const ctx = context();
    try {
      const echoed = JSON.parse((await ctx.rest("/v2")).body);
      expect(echoed).toMatchObject({ method: "GET", authorization: "Bearer t0k", body: "" });
    } finally {
      await ctx.close();
    }
  });

  it("POSTs a JSON body as application/json", async () => {
    const ctx = context();
    try {
      const answer = await ctx.rest("/v2/models/simple/infer", { json: { inputs: [] } });
      expect(JSON.parse(answer.body)).toMatchObject({
        method: "POST",
        contentType: "application/json",
        body: '{"inputs":[]}',
      });
    } finally {
      await ctx.close();
    }
  });

  it("sends raw bytes with the case's headers, and no token when asked", async () => {
    const ctx = context();
    try {
      const bytes = new Uint8Array([0, 255, 10, 13]);
      const answer = await ctx.rest("/raw", {
        method: "PUT",
        body: bytes,
        token: "none",
        headers: { "content-type": "application/octet-stream", "x-protocol": "binary" },
      });
      expect(JSON.parse(answer.body)).toEqual({
        method: "PUT",
        contentType: "application/octet-stream",
        authorization: null,
        protocol: "binary",
        body: "\u0000\u00ff\n\r",
      });
    } finally {
      await ctx.close();
    }
  });
});
