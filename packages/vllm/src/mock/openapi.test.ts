import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentedRoutes } from "./openapi.js";
import { startVllm, type TestServer } from "./test-server.js";

describe("/openapi.json and /docs", () => {
  let server: TestServer;
  beforeAll(async () => {
    // A release serving every documented route (count_tokens from 0.17.0, the batch chat route
    // from 0.19.0).
    server = await startVllm({ "vllm-version": "0.19.0" });
  });
  afterAll(() => server.close());

  // vllm-openai.md §1: FastAPI serves /openapi.json and /docs.
  it("serves an OpenAPI 3.1 document of the routes", async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    const doc = await response.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toEqual({ title: "FastAPI", version: "0.1.0" });
    expect(doc.paths["/v1/chat/completions"].post.operationId).toBe(
      "create_chat_completion_v1_chat_completions_post",
    );
    expect(
      doc.paths["/v1/chat/completions"].post.requestBody.content["application/json"].schema,
    ).toEqual({
      $ref: "#/components/schemas/ChatCompletionRequest",
    });
  });

  it("documents only routes that exist", async () => {
    // The server's own document: from 0.16.0 it leaves out the pooling routes a generative model
    // lacks (pooling.ts poolingRouteServed).
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    const served = documentedRoutes.filter(
      (route) => doc.paths[route.path]?.[route.method.toLowerCase()] !== undefined,
    );
    expect(served.length).toBeGreaterThan(10);
    for (const route of served) {
      const response = await fetch(`${server.url}${route.path}`, {
        method: route.method,
        ...(route.method === "POST" && {
          headers: { "content-type": "application/json" },
          body: "{}",
        }),
      });
      // A route's own 404 (an unknown response id) is not FastAPI's missing route.
      if (response.status === 404) {
        expect(await response.json(), `${route.method} ${route.path}`).not.toEqual({
          detail: "Not Found",
        });
      }
      expect(response.status, `${route.method} ${route.path}`).not.toBe(405);
    }
  });

  // responses/api_router.py: FastAPI's operation ids and the path parameter.
  it("documents the Responses API routes", async () => {
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(doc.paths["/v1/responses"].post.operationId).toBe("create_responses_v1_responses_post");
    const retrieve = doc.paths["/v1/responses/{response_id}"].get;
    expect(retrieve.operationId).toBe("retrieve_responses_v1_responses__response_id__get");
    expect(retrieve.parameters[0]).toEqual({
      name: "response_id",
      in: "path",
      required: true,
      schema: { type: "string", title: "Response Id" },
    });
    expect(doc.paths["/v1/responses/{response_id}/cancel"].post.operationId).toBe(
      "cancel_responses_v1_responses__response_id__cancel_post",
    );
  });

  // api_server.py `create_pooling` and `create_classify`: FastAPI's operation ids and bodies.
  // From 0.16.0 a pooling route exists only for a model serving its task (pooling.ts
  // poolingRouteServed): a classifier's document has /pooling and /classify, a generative
  // model's no pooling route at all.
  it("documents /pooling and /classify for a classifier", async () => {
    const classifier = await startVllm({
      runner: "pooling",
      convert: "classify",
      "vllm-version": "0.19.0",
    });
    try {
      const doc = await (await fetch(`${classifier.url}/openapi.json`)).json();
      expect(doc.paths["/pooling"].post.operationId).toBe("create_pooling_pooling_post");
      expect(doc.paths["/classify"].post.operationId).toBe("create_classify_classify_post");
      expect(doc.components.schemas.ClassificationRequest.required).toEqual(["input"]);
      expect(doc.components.schemas.PoolingRequest.required).toEqual(["input"]);
      expect(doc.paths["/v1/embeddings"]).toBeUndefined();
    } finally {
      await classifier.close();
    }
    const generative = await (await fetch(`${server.url}/openapi.json`)).json();
    for (const path of ["/pooling", "/classify", "/v1/embeddings", "/score", "/v2/rerank"]) {
      expect(generative.paths[path], path).toBeUndefined();
    }
  });

  // vLLM PR #17032: /classify arrived in 0.9.0; a release without the route leaves it out.
  it("leaves /classify out of a release before it", async () => {
    const old = await startVllm({ "vllm-version": "0.8.5" });
    try {
      const doc = await (await fetch(`${old.url}/openapi.json`)).json();
      expect(doc.paths["/classify"]).toBeUndefined();
      expect(doc.paths["/pooling"]).toBeDefined();
    } finally {
      await old.close();
    }
  });

  // chat_completion/api_router.py `create_batch_chat_completion` (vllm PR #38011, v0.19.0):
  // FastAPI's operation id and body; 0.18.x has no such route, so its document leaves it out.
  it("documents /v1/chat/completions/batch from 0.19.0 only", async () => {
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    const batch = doc.paths["/v1/chat/completions/batch"].post;
    expect(batch.operationId).toBe("create_batch_chat_completion_v1_chat_completions_batch_post");
    expect(batch.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/BatchChatCompletionRequest",
    });
    expect(doc.components.schemas.BatchChatCompletionRequest.required).toEqual(["messages"]);
    const old = await startVllm({ "vllm-version": "0.18.1" });
    try {
      const before = await (await fetch(`${old.url}/openapi.json`)).json();
      expect(before.paths["/v1/chat/completions/batch"]).toBeUndefined();
      expect(before.paths["/v1/chat/completions"]).toBeDefined();
    } finally {
      await old.close();
    }
  });

  it("serves the Swagger UI page", async () => {
    const response = await fetch(`${server.url}/docs`);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toContain("<title>FastAPI - Swagger UI</title>");
    expect(html).toContain("url: '/openapi.json'");
  });
});
