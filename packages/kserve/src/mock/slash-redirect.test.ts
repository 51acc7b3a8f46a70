/**
 * Trailing slashes: MLServer (FastAPI) redirects as Starlette's `redirect_slashes` does; Triton
 * and OVMS route with their own regexes. Pure cases on `slashRedirect`, then each runtime's mock
 * over fetch.
 */
import type { RestRoute } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import { quoteLocation, slashRedirect, unquotePath } from "./slash-redirect.js";
import { closeAll, startKserve } from "./test-mocks.js";

afterEach(closeAll);

const route = (method: RestRoute["method"], path: string): RestRoute => ({
  method,
  path,
  handle: () => ({ status: 200, body: "" }),
});
const routes = [
  route("GET", "/v2/models/:name"),
  route("POST", "/v2/models/:name/infer"),
  route("GET", "/items/"),
];
const host = { host: "h:8080" };

describe("slashRedirect (starlette routing.py Router.app, responses.py RedirectResponse)", () => {
  it("strips every trailing slash, or adds one, when that path has a route of any method", () => {
    // Router.app: `redirect_scope["path"].rstrip("/")`, else `+ "/"`; `match != Match.NONE`.
    expect(slashRedirect(routes, "GET", "/v2/models/m/", host)).toEqual({
      status: 307,
      headers: { location: "http://h:8080/v2/models/m" },
      body: "",
    });
    expect(slashRedirect(routes, "GET", "/v2/models/m///", host)?.headers?.location).toBe(
      "http://h:8080/v2/models/m",
    );
    expect(slashRedirect(routes, "GET", "/items", host)?.headers?.location).toBe(
      "http://h:8080/items/",
    );
    // A PARTIAL match (another method) redirects too: the client learns the 405 after it.
    expect(slashRedirect(routes, "DELETE", "/v2/models/m/infer/", host)?.status).toBe(307);
  });

  it("no redirect for /, an empty result or a path no route has either way", () => {
    expect(slashRedirect(routes, "GET", "/", host)).toBeUndefined();
    expect(slashRedirect(routes, "GET", "//", host)).toBeUndefined();
    expect(slashRedirect(routes, "GET", "/v2/nope/", host)).toBeUndefined();
    // `{model_name}` is `[^/]+`: `/v2/models/` stripped is `/v2/models`, which no route has.
    expect(slashRedirect(routes, "GET", "/v2/models/", host)).toBeUndefined();
  });

  it("location: x-forwarded-proto (http|https) else http; the path alone without a host", () => {
    // uvicorn's ProxyHeadersMiddleware trusts the pod-local proxy; the runtime itself serves
    // plain HTTP behind the platform's TLS (kserve-v2.md §5).
    const to = (headers: Record<string, string>) =>
      slashRedirect(routes, "GET", "/v2/models/m/", headers)?.headers?.location;
    expect(to({ ...host, "x-forwarded-proto": "https" })).toBe("https://h:8080/v2/models/m");
    expect(to({ ...host, "x-forwarded-proto": "gopher" })).toBe("http://h:8080/v2/models/m");
    expect(to({})).toBe("/v2/models/m");
  });

  it("quotes as RedirectResponse does, after uvicorn's unquote of the raw path", () => {
    // quote(url, safe=":/%#?=@[]!$&'()*+,;"); the ASGI path is unquote(raw_path).
    expect(quoteLocation("http://h/a b/é~_.-!*'();:@&=+$,/?#[]%")).toBe(
      "http://h/a%20b/%C3%A9~_.-!*'();:@&=+$,/?#[]%",
    );
    expect(quoteLocation('x"<>{}|\\^`')).toBe("x%22%3C%3E%7B%7D%7C%5C%5E%60");
    expect(unquotePath("/a%20b/%C3%A9/%zz/%ff")).toBe("/a b/é/%zz/\uFFFD");
    expect(slashRedirect(routes, "GET", "/v2/models/a%20b%C3%A9/", host)?.headers?.location).toBe(
      "http://h:8080/v2/models/a%20b%C3%A9",
    );
  });
});

describe("slashRedirect on arbitrary paths", () => {
  it("never throws; a redirect always points at a quoted location on the request's host", () => {
    // Seeded (LCG) random paths over slashes, escapes (valid, truncated, invalid) and non-ASCII.
    const pieces = [
      "v2/models/m",
      "items",
      "/",
      "//",
      "v2",
      "models",
      "m",
      "infer",
      "%",
      "%2",
      "%2F",
      "%E2%82",
      "%zz",
      "é",
      " ",
      "?",
      "#",
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    let redirects = 0;
    for (let i = 0; i < 2000; i++) {
      const path = `/${Array.from({ length: next() % 8 }, () => pieces[next() % pieces.length]).join("")}`;
      const reply = slashRedirect(routes, "GET", path, host);
      if (reply === undefined) continue;
      redirects++;
      expect(reply.status, path).toBe(307);
      expect(reply.headers?.location, path).toMatch(/^http:\/\/h:8080\/[\x21-\x7e]*$/);
    }
    expect(redirects).toBeGreaterThan(0);
  });
});

describe("MLServer over fetch: Starlette's redirect_slashes (MLServer keeps the default)", () => {
  it("a known path with a trailing slash: 307, empty body, location, no content type", async () => {
    const mock = await startKserve("mlserver");
    const base = mock.endpoints.http as string;
    for (const path of ["/v2/", "/v2/health/ready/", "/v2/models/iris/", "/v2/docs/"]) {
      const res = await fetch(`${base}${path}`, { redirect: "manual" });
      expect(res.status, path).toBe(307);
      expect(res.headers.get("location"), path).toBe(`${base}${path.slice(0, -1)}`);
      expect(res.headers.get("content-length"), path).toBe("0");
      expect(res.headers.get("content-type"), path).toBeNull();
      expect(await res.text(), path).toBe("");
    }
    // The query follows the new path (Starlette builds the redirect URL from the request's scope,
    // query_string included).
    const queried = await fetch(`${base}/v2/models/iris/?a=1&b=%20x`, { redirect: "manual" });
    expect(queried.headers.get("location")).toBe(`${base}/v2/models/iris?a=1&b=%20x`);
    // A wrong method on the redirected path is still a redirect (Starlette's PARTIAL match).
    const wrong = await fetch(`${base}/v2/health/ready/`, { method: "DELETE", redirect: "manual" });
    expect(wrong.status).toBe(307);
    // Paths no route has either way stay FastAPI's 404.
    for (const path of ["/v2/models/", "/v2/nope/", "/v2/models/iris/nope/"]) {
      const res = await fetch(`${base}${path}`, { redirect: "manual" });
      expect([path, res.status, await res.json()]).toEqual([path, 404, { detail: "Not Found" }]);
    }
  });

  it("a client that follows the 307 re-sends its POST and gets the inference", async () => {
    // RFC 9110 §15.4.8: a 307 keeps the method and body; fetch follows it by default.
    const mock = await startKserve("mlserver");
    const res = await fetch(`${mock.endpoints.http}/v2/models/identity_fp32/infer/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        inputs: [{ name: "INPUT0", datatype: "FP32", shape: [1, 2], data: [1, 2] }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.redirected).toBe(true);
    expect((await res.json()).outputs[0].data).toEqual([1, 2]);
  });
});

describe("Triton and OVMS: their regexes, no redirects", () => {
  it("Triton: a trailing slash or an empty model name is its 404 Not Found", async () => {
    // kserve-v2.md §3.1: exact regexes, full match, no trailing slash tolerance; `([^/]+)`.
    const mock = await startKserve("triton");
    for (const path of ["/v2/", "/v2/health/ready/", "/v2/models/simple/", "/v2/models/"]) {
      const res = await fetch(`${mock.endpoints.http}${path}`, { redirect: "manual" });
      expect([path, res.status, await res.json()]).toEqual([path, 404, { error: "Not Found" }]);
    }
  });

  it("OVMS: model metadata takes one trailing slash; other paths with one are 400", async () => {
    // http_rest_api_handler.cpp: kfs_modelmetadataRegexExp ends in `(?:/)?`; the ready, infer,
    // health and server metadata regexes do not; an unmatched path is `Invalid request URL`.
    const mock = await startKserve("ovms");
    const base = mock.endpoints.http as string;
    for (const path of ["/v2/models/resnet/", "/v2/models/resnet/versions/1/"]) {
      const res = await fetch(`${base}${path}`);
      expect([path, res.status]).toEqual([path, 200]);
      expect((await res.json()).name).toBe("resnet");
    }
    for (const path of ["/v2/", "/v2/health/ready/", "/v2/models/resnet/ready/", "/v2/models/"]) {
      const res = await fetch(`${base}${path}`, { redirect: "manual" });
      expect([path, res.status, await res.json()]).toEqual([
        path,
        400,
        { error: "Invalid request URL" },
      ]);
    }
    const wrongVerb = await fetch(`${base}/v2/models/resnet/`, { method: "POST" });
    // A known path with a method OVMS does not route: 406 (kserve-v2.md §3.3).
    expect(wrongVerb.status).toBe(406);
  });
});
