/**
 * The platform's bearer-token authorization, as a client of an InferenceService sees it. The
 * runtimes never check tokens themselves: a proxy in front of them does, and which proxy depends
 * on the deployment mode (reference kserve-v2.md §5 "How RHOAI exposes these"):
 *
 * - `serverless` (Knative + Istio): Authorino via envoy's ext_authz filter.
 * - `raw` (RawDeployment / "Standard"): a kube-rbac-proxy sidecar.
 *
 * Pure: these functions decide and describe the answer; the hosts write it.
 */
import { Code } from "@connectrpc/connect";
import type { CannedReply } from "./runtime-catalog.js";
import { grpcCodeForHttpStatus } from "./status-mapping.js";

/** Which proxy guards the endpoint: Authorino/envoy (`serverless`) or kube-rbac-proxy (`raw`). */
export type AuthMode = "serverless" | "raw";

/** The deployment modes, for CLI validation and help text. */
export const authModes: readonly AuthMode[] = ["serverless", "raw"];

/**
 * Why a request was refused: no usable credential in the request, or a credential that is not
 * one of the accepted tokens.
 */
export type AuthFailure = "credential-not-found" | "not-authenticated";

/**
 * Checks the `authorization` header (HTTP) or metadata (gRPC) against the accepted tokens, the way
 * the mode's proxy reads it. Returns undefined when the request may pass, else why it may not.
 * An empty token list disables authorization.
 *
 * - serverless, Kuadrant/authorino pkg/auth/credentials.go `getCredFromAuthHeader`: the header
 *   must start with the case-sensitive prefix `Bearer ` ("credential not found" otherwise); the
 *   rest is the token.
 * - raw, kube-rbac-proxy uses the Kubernetes bearer-token authenticator: trimmed header, scheme
 *   compared case-insensitively, first word after it is the token; every failure is the same 401.
 */
export function checkBearer(
  authorization: string | undefined,
  tokens: readonly string[],
  mode: AuthMode,
): AuthFailure | undefined {
  if (tokens.length === 0) return undefined;
  const token = mode === "serverless" ? authorinoToken(authorization) : kubeToken(authorization);
  if (token === undefined) return "credential-not-found";
  return tokens.includes(token) ? undefined : "not-authenticated";
}

function authorinoToken(header: string | undefined): string | undefined {
  const prefix = "Bearer ";
  return header?.startsWith(prefix) ? header.slice(prefix.length) : undefined;
}

function kubeToken(header: string | undefined): string | undefined {
  const trimmed = header?.trim();
  if (!trimmed) return undefined;
  const [scheme, token] = trimmed.split(" ", 3);
  if (scheme?.toLowerCase() !== "bearer" || !token) return undefined;
  return token;
}

/**
 * The reason header Authorino adds to a denial (kserve-v2.md §5): `credential not found` for a
 * missing credential, `not authenticated` for a wrong one.
 */
function extAuthReason(failure: AuthFailure): string {
  return failure === "credential-not-found" ? "credential not found" : "not authenticated";
}

/**
 * The HTTP answer a REST client gets for a refused request.
 *
 * - serverless (kserve-v2.md §5): 401, empty body (`content-length: 0`), `server: istio-envoy`,
 *   `www-authenticate: Bearer realm="kubernetes-user"`, `x-ext-auth-reason`.
 * - raw: kube-rbac-proxy pkg/filters/auth.go `http.Error(w, "Unauthorized", 401)`: Go's
 *   http.Error sends `text/plain; charset=utf-8`, `x-content-type-options: nosniff` and the text
 *   plus a newline.
 */
export function restDenial(mode: AuthMode, failure: AuthFailure): CannedReply {
  if (mode === "serverless") {
    return {
      status: 401,
      headers: {
        "www-authenticate": 'Bearer realm="kubernetes-user"',
        "x-ext-auth-reason": extAuthReason(failure),
        server: "istio-envoy",
      },
      body: "",
    };
  }
  return {
    status: 401,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
    },
    body: "Unauthorized\n",
  };
}

/**
 * What the gRPC port sends for a refused call, and the code a gRPC client reports for it.
 *
 * - serverless: envoy answers a local reply to a gRPC request as a trailers-only response
 *   (envoyproxy/envoy source/common/http/utility.cc `sendLocalReply`: `:status 200`,
 *   `content-type: application/grpc`, `grpc-status` from `httpToGrpcStatus(401)` =
 *   UNAUTHENTICATED, `grpc-message` only for a non-empty body: Authorino's is empty), with the
 *   ext_authz headers added.
 * - raw: kube-rbac-proxy is a plain HTTP proxy; its 401 text/plain reply reaches the gRPC client,
 *   which maps the HTTP status to a code (gRPC doc/http-grpc-status-mapping.md: 401 →
 *   UNAUTHENTICATED).
 */
export type GrpcDenial =
  | { readonly kind: "trailers-only"; readonly headers: Readonly<Record<string, string>> }
  | { readonly kind: "http"; readonly reply: CannedReply };

/** Builds the {@link GrpcDenial} for a mode and failure. */
export function grpcDenial(mode: AuthMode, failure: AuthFailure): GrpcDenial {
  const http = restDenial(mode, failure);
  if (mode === "raw") return { kind: "http", reply: http };
  return {
    kind: "trailers-only",
    headers: {
      ...http.headers,
      "content-type": "application/grpc",
      "grpc-status": String(grpcCodeForHttpStatus(http.status)),
    },
  };
}

/** The code a gRPC client reports for a refused call, in either mode (always UNAUTHENTICATED). */
export function grpcDenialCode(mode: AuthMode, failure: AuthFailure): Code {
  return grpcCodeForHttpStatus(restDenial(mode, failure).status) ?? Code.Unauthenticated;
}
