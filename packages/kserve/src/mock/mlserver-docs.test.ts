/**
 * MLServer's API docs routes (issue 4), over real HTTP with fetch. Facts: SeldonIO/MLServer
 * `mlserver/rest/app.py` (the routes), `rest/endpoints.py` (`openapi`, `docs`, `model_openapi`,
 * `model_docs`: a model's docs call model metadata first; the page titles), `rest/openapi/__init__.py`
 * (`get_model_schema`, `get_model_schema_uri`, `_get_model_info`), `rest/openapi/dataplane.json`
 * (OpenAPI 3.0.3, info "Data Plane" 2.0) and `tests/rest/test_endpoints.py` (`/v2/docs` is HTML,
 * `/v2/docs/dataplane.json` has `openapi`).
 */
import type { RunningMock } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import { dataplaneDocument, modelDocument } from "./mlserver-docs.js";
import type { KserveRuntime } from "./profiles.js";
import { closeAll, startKserve } from "./test-mocks.js";

afterEach(closeAll);

const get = (mock: RunningMock, path: string, headers: Record<string, string> = {}) =>
  fetch(`${mock.endpoints.http}${path}`, { headers });

/** The dataplane routes MLServer's dataplane.json lists (its repository API is a separate file). */
const dataplanePaths = [
  "/v2",
  "/v2/health/live",
  "/v2/health/ready",
  "/v2/models/{model_name}",
  "/v2/models/{model_name}/infer",
  "/v2/models/{model_name}/ready",
  "/v2/models/{model_name}/versions/{model_version}",
  "/v2/models/{model_name}/versions/{model_version}/infer",
  "/v2/models/{model_name}/versions/{model_version}/ready",
];

/** Every `$ref` in a document, for the check that each resolves. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refs(item, found);
  else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") found.push(item);
      else refs(item, found);
    }
  }
  return found;
}

/** The checks an OpenAPI 3 reader makes first: version, info, operations with responses, refs. */
function expectOpenApi3(doc: Record<string, unknown>): void {
  expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
  const info = doc.info as Record<string, unknown>;
  expect(typeof info.title).toBe("string");
  expect(typeof info.version).toBe("string");
  const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
  for (const ref of refs(doc)) {
    expect(ref).toMatch(/^#\/components\/schemas\//);
    expect(schemas[ref.slice("#/components/schemas/".length)], ref).toBeDefined();
  }
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    const operations = Object.entries(item).filter(([key]) => key === "get" || key === "post");
    expect(operations.length, path).toBeGreaterThan(0);
    for (const [, op] of operations) {
      expect(Object.keys((op as { responses: object }).responses), path).toContain("200");
    }
    // Every {parameter} in the path is declared, and nothing else is.
    const declared = ((item.parameters ?? []) as { name: string; in: string }[]).map((p) => p.name);
    expect(declared.sort(), path).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
  }
}

describe("MLServer server docs", () => {
  it("GET /v2/docs/dataplane.json: an OpenAPI 3 document of the dataplane routes, JSON (mlserver/rest/app.py, openapi/dataplane.json)", async () => {
    const mock = await startKserve("mlserver");
    const res = await get(mock, "/v2/docs/dataplane.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const doc = (await res.json()) as Record<string, unknown>;
    expectOpenApi3(doc);
    // dataplane.json's info: title "Data Plane", version "2.0".
    expect(doc.info).toMatchObject({
      title: "Data Plane",
      version: "2.0",
      description: "REST protocol to interact with inference servers.",
    });
    expect(Object.keys(doc.paths as object).sort()).toEqual(dataplanePaths);
  });

  it("every documented route is one the mock serves, with the method the document names", async () => {
    const mock = await startKserve("mlserver");
    const iris = {
      inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
    };
    for (const [path, item] of Object.entries(dataplaneDocument().paths)) {
      const url = path.replace("{model_name}", "iris").replace("{model_version}", "v0.1.0");
      const res =
        "post" in item
          ? await fetch(`${mock.endpoints.http}${url}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(iris),
            })
          : await get(mock, url);
      expect(res.status, `${url}: ${await res.text()}`).toBe(200);
    }
  });

  it("GET /v2/docs: the Swagger UI page for /v2/docs/dataplane.json, HTML (rest/endpoints.py docs)", async () => {
    const mock = await startKserve("mlserver");
    const res = await get(mock, "/v2/docs");
    expect(res.status).toBe(200);
    // FastAPI's HTMLResponse.
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const page = await res.text();
    expect(page).toContain("<title>MLServer API Docs</title>");
    expect(page).toContain("url: '/v2/docs/dataplane.json'");
    expect(page).toContain("SwaggerUIBundle(");
  });

  it("gzip when accepted and at least 500 bytes, as every MLServer route (GZipMiddleware in rest/app.py)", async () => {
    const mock = await startKserve("mlserver");
    const res = await fetch(`${mock.endpoints.http}/v2/docs/dataplane.json`, {
      headers: { "accept-encoding": "gzip" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    // fetch inflates it; the bytes are the document.
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(dataplaneDocument())));
  });
});

describe("MLServer model docs", () => {
  it("GET /v2/models/{m}/docs/dataplane.json: the model routes with the name filled in (openapi get_model_schema)", async () => {
    const mock = await startKserve("mlserver");
    const res = await get(mock, "/v2/models/iris/docs/dataplane.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const doc = (await res.json()) as Record<string, unknown>;
    expectOpenApi3(doc);
    // _get_model_info: "Data Plane for Model <m>", "REST protocol to interact with Model <m>".
    expect(doc.info).toMatchObject({
      title: "Data Plane for Model iris",
      description: "REST protocol to interact with Model iris",
      version: "2.0",
    });
    // Only model endpoints (_fill_path_spec drops the rest); model_name is no longer a parameter.
    expect(Object.keys(doc.paths as object).sort()).toEqual([
      "/v2/models/iris",
      "/v2/models/iris/infer",
      "/v2/models/iris/ready",
      "/v2/models/iris/versions/{model_version}",
      "/v2/models/iris/versions/{model_version}/infer",
      "/v2/models/iris/versions/{model_version}/ready",
    ]);
  });

  it("a versioned model's document: only the versioned routes, both filled in, title with (version)", async () => {
    const mock = await startKserve("mlserver");
    const res = await get(mock, "/v2/models/iris/versions/v0.1.0/docs/dataplane.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expectOpenApi3(doc);
    expect((doc.info as { title: string }).title).toBe("Data Plane for Model iris (v0.1.0)");
    expect(Object.keys(doc.paths as object).sort()).toEqual([
      "/v2/models/iris/versions/v0.1.0",
      "/v2/models/iris/versions/v0.1.0/infer",
      "/v2/models/iris/versions/v0.1.0/ready",
    ]);
  });

  it("the model pages point at the model's document, titled with the model (rest/endpoints.py model_docs)", async () => {
    const mock = await startKserve("mlserver");
    const plain = await get(mock, "/v2/models/iris/docs");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const page = await plain.text();
    expect(page).toContain("<title>MLServer API Docs - iris</title>");
    expect(page).toContain("url: '/v2/models/iris/docs/dataplane.json'");
    const versioned = await (await get(mock, "/v2/models/iris/versions/v0.1.0/docs")).text();
    expect(versioned).toContain("<title>MLServer API Docs - iris (v0.1.0)</title>");
    expect(versioned).toContain("url: '/v2/models/iris/versions/v0.1.0/docs/dataplane.json'");
  });

  it("an unknown model or version answers as model metadata does: 404 Model <m> not found", async () => {
    const mock = await startKserve("mlserver");
    for (const path of ["/v2/models/nope/docs", "/v2/models/nope/docs/dataplane.json"]) {
      const res = await get(mock, path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: "Model nope not found" });
    }
    const version = await get(mock, "/v2/models/iris/versions/v9/docs/dataplane.json");
    expect(version.status).toBe(404);
    expect(await version.json()).toEqual({ error: "Model iris with version v9 not found" });
  });
});

describe("MLServer docs: the other answers on those paths", () => {
  it("a wrong verb is FastAPI's 405 (kserve-v2.md §3.2: wrong verb → 405 Method Not Allowed)", async () => {
    const mock = await startKserve("mlserver");
    for (const path of ["/v2/docs", "/v2/models/iris/docs/dataplane.json"]) {
      const res = await fetch(`${mock.endpoints.http}${path}`, { method: "POST" });
      expect(res.status, path).toBe(405);
      expect(await res.json()).toEqual({ detail: "Method Not Allowed" });
    }
  });

  it("behind ModelMesh the REST proxy serves no docs (kserve-v2.md §3.4: grpc-gateway's 404)", async () => {
    const mock = await startKserve("mlserver", { modelmesh: true });
    const res = await get(mock, "/v2/docs");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 5, message: "Not Found" });
  });
});

describe("no docs on Triton and OVMS (neither serves them: server http_server.cc, model_server http_rest_api_handler.cpp)", () => {
  const paths = [
    "/v2/docs",
    "/v2/docs/dataplane.json",
    "/v2/models/{m}/docs",
    "/v2/models/{m}/docs/dataplane.json",
  ];
  const cases: [KserveRuntime, string][] = [
    ["triton", "simple"],
    ["ovms", "resnet"],
  ];
  it.each(cases)(
    "%s: each docs path is the runtime's unknown-path answer",
    async (runtime, model) => {
      const mock = await startKserve(runtime);
      // The answer of a path the runtime does not serve, for comparison: Triton's 404 `Not Found`
      // (kserve-v2.md §3.1), OVMS's 400 `Invalid request URL` (kserve-v2.md §3.3).
      const unknown = await get(mock, "/v2/no-such-route");
      expect(unknown.status).toBe(runtime === "triton" ? 404 : 400);
      const expected = await unknown.text();
      for (const path of paths) {
        const res = await get(mock, path.replace("{m}", model));
        expect(res.status, path).toBe(unknown.status);
        expect(await res.text(), path).toBe(expected);
      }
    },
  );
});

describe("the page and the documents (pure)", () => {
  it("a model's document leaves the server's document as it was", () => {
    const before = JSON.stringify(dataplaneDocument());
    modelDocument("iris", "v0.1.0");
    expect(JSON.stringify(dataplaneDocument())).toBe(before);
  });
});
