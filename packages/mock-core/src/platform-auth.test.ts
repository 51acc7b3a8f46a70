import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  checkBearer,
  forbiddenUser,
  grpcDenial,
  grpcDenialCode,
  restDenial,
} from "./platform-auth.js";

describe("checkBearer", () => {
  it("lets everything pass without tokens", () => {
    expect(checkBearer(undefined, [], "serverless")).toBeUndefined();
    expect(checkBearer(undefined, [], "raw")).toBeUndefined();
  });

  it("serverless reads the header as Authorino does: exact 'Bearer ' prefix", () => {
    // Kuadrant/authorino pkg/auth/credentials.go getCredFromAuthHeader.
    const tokens = ["t1", "t2"];
    expect(checkBearer("Bearer t2", tokens, "serverless")).toBeUndefined();
    expect(checkBearer(undefined, tokens, "serverless")).toBe("credential-not-found");
    expect(checkBearer("bearer t1", tokens, "serverless")).toBe("credential-not-found");
    expect(checkBearer("Basic t1", tokens, "serverless")).toBe("credential-not-found");
    expect(checkBearer("Bearer t3", tokens, "serverless")).toBe("not-authenticated");
    expect(checkBearer("Bearer  t1", tokens, "serverless")).toBe("not-authenticated");
  });

  it("raw reads it as the Kubernetes bearer-token authenticator: any-case scheme, trimmed", () => {
    const tokens = ["t1"];
    expect(checkBearer(" bearer t1 ", tokens, "raw")).toBeUndefined();
    expect(checkBearer("BEARER t1", tokens, "raw")).toBeUndefined();
    expect(checkBearer("Bearer", tokens, "raw")).toBe("credential-not-found");
    expect(checkBearer("Token t1", tokens, "raw")).toBe("credential-not-found");
    expect(checkBearer("Bearer t9", tokens, "raw")).toBe("not-authenticated");
  });
});

describe("forbidden tokens", () => {
  it("authenticate but are not authorized, in both modes; alone they turn auth on", () => {
    expect(checkBearer("Bearer f", ["t"], "serverless", ["f"])).toBe("not-authorized");
    expect(checkBearer("bearer f", ["t"], "raw", ["f"])).toBe("not-authorized");
    expect(checkBearer(undefined, [], "raw", ["f"])).toBe("credential-not-found");
    expect(checkBearer("Bearer t", ["t"], "serverless", ["f"])).toBeUndefined();
  });

  it("serverless: 403, empty body, 'not authorized: ...', no challenge (kserve-v2.md §5)", () => {
    expect(restDenial("serverless", "not-authorized")).toEqual({
      status: 403,
      headers: { "x-ext-auth-reason": "not authorized: unknown reason", server: "istio-envoy" },
      body: "",
    });
    expect(grpcDenialCode("serverless", "not-authorized")).toBe(Code.PermissionDenied);
  });

  it("raw: kube-rbac-proxy's 403 Forbidden text naming user, verb and resource", () => {
    // kube-rbac-proxy pkg/filters/auth.go WithAuthorization; kserve-v2.md §5 (verb get,
    // resource inferenceservices).
    const reply = restDenial("raw", "not-authorized");
    expect(reply.status).toBe(403);
    expect(reply.body).toBe(
      `Forbidden (user=${forbiddenUser}, verb=get, resource=inferenceservices, subresource=)\n`,
    );
    expect(grpcDenialCode("raw", "not-authorized")).toBe(Code.PermissionDenied);
  });
});

describe("denials", () => {
  it("serverless REST: 401, empty body, envoy and ext_authz headers (kserve-v2.md §5)", () => {
    expect(restDenial("serverless", "not-authenticated")).toEqual({
      status: 401,
      headers: {
        "www-authenticate": 'Bearer realm="kubernetes-user"',
        "x-ext-auth-reason": "not authenticated",
        server: "istio-envoy",
      },
      body: "",
    });
  });

  it("raw REST: Go's http.Error 401 (kube-rbac-proxy pkg/filters/auth.go)", () => {
    expect(restDenial("raw", "credential-not-found")).toEqual({
      status: 401,
      headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
      body: "Unauthorized\n",
    });
  });

  it("serverless gRPC: trailers-only, grpc-status 16, no grpc-message (envoy sendLocalReply)", () => {
    const denial = grpcDenial("serverless", "credential-not-found");
    expect(denial).toEqual({
      kind: "trailers-only",
      headers: {
        "www-authenticate": 'Bearer realm="kubernetes-user"',
        "x-ext-auth-reason": "credential not found",
        server: "istio-envoy",
        "content-type": "application/grpc",
        "grpc-status": "16",
      },
    });
  });

  it("raw gRPC: the plain HTTP 401, which clients read as UNAUTHENTICATED", () => {
    expect(grpcDenial("raw", "not-authenticated")).toEqual({
      kind: "http",
      reply: restDenial("raw", "not-authenticated"),
    });
    expect(grpcDenialCode("raw", "not-authenticated")).toBe(Code.Unauthenticated);
    expect(grpcDenialCode("serverless", "not-authenticated")).toBe(Code.Unauthenticated);
  });
});
