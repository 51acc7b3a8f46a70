/**
 * MLServer's `GET /openapi.json` (FastAPI's `openapi_url` default, kept by mlserver/rest/app.py,
 * which turns off only `docs_url` and `redoc_url`), over fetch.
 */
import { healthRouteTable, realClock, runtimeCatalog } from "@servingkit/mock-core/host";
import { afterEach, describe, expect, it } from "vitest";
import { kserveRouteTable } from "../mock.js";
import { documentedRoutes } from "./mlserver-openapi.js";
import { closeAll, startKserve } from "./test-mocks.js";

afterEach(closeAll);

interface Doc {
  openapi: string;
  info: unknown;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, unknown> };
}

describe("MLServer GET /openapi.json", () => {
  it("FastAPI's document: OpenAPI 3.1.0, its default info, operation ids from the endpoints", async () => {
    const mock = await startKserve("mlserver");
    const res = await fetch(`${mock.endpoints.http}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const doc = (await res.json()) as Doc;
    // FastAPI(title="FastAPI", version="0.1.0", openapi_version "3.1.0") defaults.
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toEqual({ title: "FastAPI", version: "0.1.0" });
    // generate_unique_id: endpoint name + path (\W as _) + method; summary from the name.
    const ready = doc.paths["/v2/models/{model_name}/ready"]?.get;
    expect(ready).toMatchObject({
      summary: "Model Ready",
      operationId: "model_ready_v2_models__model_name__ready_get",
    });
    // endpoints.py: model_version: Optional[str] = None is a query parameter where the path has none.
    expect(ready?.parameters).toEqual([
      {
        name: "model_name",
        in: "path",
        required: true,
        schema: { type: "string", title: "Model Name" },
      },
      {
        name: "model_version",
        in: "query",
        required: false,
        schema: { anyOf: [{ type: "string" }, { type: "null" }], title: "Model Version" },
      },
    ]);
    const infer = doc.paths["/v2/models/{model_name}/versions/{model_version}/infer"]?.post;
    expect(infer).toMatchObject({
      summary: "Infer",
      operationId: "infer_v2_models__model_name__versions__model_version__infer_post",
      requestBody: {
        content: {
          "application/json": { schema: { $ref: "#/components/schemas/InferenceRequest" } },
        },
        required: true,
      },
      responses: {
        "200": {
          content: {
            "application/json": { schema: { $ref: "#/components/schemas/InferenceResponse" } },
          },
        },
        "422": { description: "Validation Error" },
      },
    });
    // A route without parameters or body gets no 422 (FastAPI adds it only for those).
    expect(Object.keys(doc.paths["/v2/health/live"]?.get?.responses as object)).toEqual(["200"]);
    // Every reference resolves.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const r of new Set(refs)) expect(doc.components.schemas, r).toHaveProperty(r.slice(21));
    // The document route itself is include_in_schema=False.
    expect(doc.paths["/openapi.json"]).toBeUndefined();
  });

  it("lists exactly the routes the MLServer mock serves", () => {
    const table = kserveRouteTable({ runtime: "mlserver" }, realClock);
    const served = [...healthRouteTable(runtimeCatalog.mlserver).routes, ...table.routes]
      .map((r) => ({
        method: r.method,
        path: r.path.replace(":name", "{model_name}").replace(":version", "{model_version}"),
      }))
      .filter((r) => r.path !== "/openapi.json");
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    expect(documentedRoutes.map(key).sort()).toEqual(served.map(key).sort());
  });

  it("gzipped for a client that accepts it (GZipMiddleware wraps it, 500 bytes or more)", async () => {
    const mock = await startKserve("mlserver");
    const res = await fetch(`${mock.endpoints.http}/openapi.json`, {
      headers: { "accept-encoding": "gzip" },
    });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(((await res.json()) as Doc).openapi).toBe("3.1.0");
  });

  it("/docs and /redoc are FastAPI's 404 (MLServer sets docs_url and redoc_url to None)", async () => {
    const mock = await startKserve("mlserver");
    for (const path of ["/docs", "/redoc"]) {
      const res = await fetch(`${mock.endpoints.http}${path}`);
      expect([path, res.status, await res.json()]).toEqual([path, 404, { detail: "Not Found" }]);
    }
  });

  it("Triton and OVMS are not FastAPI apps: /openapi.json is their unknown path", async () => {
    // kserve-v2.md §3.1 (404 {"error":"Not Found"}) and §3.3 (400 Invalid request URL).
    const triton = await startKserve("triton");
    const t = await fetch(`${triton.endpoints.http}/openapi.json`);
    expect([t.status, await t.json()]).toEqual([404, { error: "Not Found" }]);
    const ovms = await startKserve("ovms");
    const o = await fetch(`${ovms.endpoints.http}/openapi.json`);
    expect([o.status, await o.json()]).toEqual([400, { error: "Invalid request URL" }]);
  });
});
