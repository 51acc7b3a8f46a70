import { describe, expect, it } from "vitest";
import { Readiness } from "./readiness.js";
import {
  healthRouteTable,
  hostBody,
  matchRestRoute,
  queryRecord,
  type RestRoute,
} from "./rest-route-table.js";
import { runtimeCatalog } from "./runtime-catalog.js";

const route = (method: RestRoute["method"], path: string): RestRoute => ({
  method,
  path,
  handle: () => ({ status: 200, body: path }),
});

describe("matchRestRoute", () => {
  const routes = [
    route("GET", "/v2/models/:name"),
    route("GET", "/v2/models/stats"),
    route("POST", "/v2/models/:name/versions/:version/infer"),
  ];

  it("prefers literal segments over parameters, as fastify's router does", () => {
    const match = matchRestRoute(routes, "GET", "/v2/models/stats");
    expect(match.kind === "route" && match.route.path).toBe("/v2/models/stats");
  });

  it("decodes parameters and lets HEAD find GET routes", () => {
    const match = matchRestRoute(routes, "HEAD", "/v2/models/a%20b");
    expect(match).toMatchObject({ kind: "route", params: { name: "a b" } });
  });

  it("tells a wrong method (405 with the allowed methods) from an unknown path", () => {
    expect(matchRestRoute(routes, "POST", "/v2/models/x")).toEqual({
      kind: "method-not-allowed",
      allowed: ["GET", "HEAD"],
    });
    expect(matchRestRoute(routes, "GET", "/v2/models/x/versions/1/infer")).toEqual({
      kind: "method-not-allowed",
      allowed: ["POST"],
    });
    expect(matchRestRoute(routes, "GET", "/v3")).toEqual({ kind: "not-found" });
    expect(matchRestRoute(routes, "GET", "/v2/models/")).toEqual({ kind: "not-found" });
  });
});

describe("healthRouteTable", () => {
  it("answers readiness from the shared state and liveness always (catalog data)", async () => {
    const readiness = new Readiness(false);
    const table = healthRouteTable(runtimeCatalog.triton, readiness);
    const answer = async (path: string) => {
      const match = matchRestRoute(table.routes, "GET", path);
      if (match.kind !== "route") throw new Error(`no route ${path}`);
      return match.route.handle({
        method: "GET",
        path,
        headers: {},
        params: match.params,
        query: {},
        body: undefined,
        signal: new AbortController().signal,
      });
    };
    // kserve-v2.md §3.1: Triton's live route answers 200 while the ready route answers 400.
    expect((await answer("/v2/health/live")).status).toBe(200);
    expect((await answer("/v2/health/ready")).status).toBe(400);
  });
});

describe("queryRecord", () => {
  it("gives repeated keys as arrays", () => {
    expect(queryRecord(new URLSearchParams("a=1&b=2&b=3"))).toEqual({ a: "1", b: ["2", "3"] });
  });
});

describe("hostBody (fastify's body rules, for hosts that read bytes)", () => {
  const bytes = (text: string) => Buffer.from(text);
  const body = (method: string, contentType: string | undefined, text: string, raw = false) =>
    hostBody({ method, contentType, bytes: bytes(text), raw });

  it("parses JSON, empty JSON is undefined, malformed JSON is a body error", () => {
    expect(body("POST", "application/json; charset=utf-8", '{"a":1}')).toEqual({ body: { a: 1 } });
    expect(body("POST", "application/json", "")).toEqual({ body: undefined });
    expect(body("POST", "application/json", "{")).toMatchObject({
      error: { kind: "malformed-json" },
    });
  });

  it("gives other content types as bytes, even empty; no type and no body is undefined", () => {
    expect(body("POST", "text/plain", "")).toEqual({ body: bytes("") });
    expect(body("POST", undefined, "x")).toEqual({ body: bytes("x") });
    expect(body("POST", undefined, "")).toEqual({ body: undefined });
    expect(body("GET", "application/json", "{")).toEqual({ body: undefined });
  });

  it("gives a raw table the bytes whatever the type", () => {
    expect(body("POST", "application/json", "{", true)).toEqual({ body: bytes("{") });
    expect(body("GET", undefined, "", true)).toEqual({ body: bytes("") });
  });
});
