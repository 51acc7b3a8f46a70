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
import type { Code } from "@connectrpc/connect";
import { codeFromGrpcHttpStatus } from "@servingkit/client-core";
import type { CannedReply } from "./runtime-catalog.js";

/** Which proxy guards the endpoint: Authorino/envoy (`serverless`) or kube-rbac-proxy (`raw`). */
export type AuthMode = "serverless" | "raw";

/** Who may call: the tokens the proxy accepts and refuses, and which proxy it is. */
export interface PlatformAuth {
  /** Tokens that authenticate and are authorized. */
  readonly tokens: readonly string[];
  /** Tokens that authenticate but may not call (403). */
  readonly forbiddenTokens: readonly string[];
  /** Which proxy answers a refusal. */
  readonly mode: AuthMode;
}

/** Checks a request's `authorization` header or metadata against {@link PlatformAuth}. */
export function authorize(
  authorization: string | undefined,
  auth: PlatformAuth,
): AuthFailure | undefined {
  return checkBearer(authorization, auth.tokens, auth.mode, auth.forbiddenTokens);
}

/** The deployment modes, for CLI validation and help text. */
export const authModes: readonly AuthMode[] = ["serverless", "raw"];

/**
 * Why a request was refused: no usable credential in the request, a credential that is not a
 * known token (401 both), or a known token whose user may not `get` the InferenceService (the
 * SubjectAccessReview says no: 403).
 */
export type AuthFailure = "credential-not-found" | "not-authenticated" | "not-authorized";

/**
 * The user name kube-rbac-proxy's 403 text names for a forbidden token. The real proxy names the
 * token's user (e.g. a service account); the mock has no user directory, so it names this one.
 */
export const forbiddenUser = "system:serviceaccount:servingkit:forbidden";

/**
 * Checks the `authorization` header (HTTP) or metadata (gRPC) against the accepted tokens, the way
 * the mode's proxy reads it. Returns undefined when the request may pass, else why it may not.
 * With no tokens at all (accepted or forbidden), authorization is off. A forbidden token
 * authenticates but is not authorized (403).
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
  forbiddenTokens: readonly string[] = [],
): AuthFailure | undefined {
  if (tokens.length === 0 && forbiddenTokens.length === 0) return undefined;
  const token = mode === "serverless" ? authorinoToken(authorization) : kubeToken(authorization);
  if (token === undefined) return "credential-not-found";
  if (tokens.includes(token)) return undefined;
  return forbiddenTokens.includes(token) ? "not-authorized" : "not-authenticated";
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
  if (failure === "credential-not-found") return "credential not found";
  // kserve-v2.md §5: "not authorized: <reason or "unknown reason">"; the mock gives no reason.
  return failure === "not-authorized" ? "not authorized: unknown reason" : "not authenticated";
}

/**
 * The HTTP answer a REST client gets for a refused request.
 *
 * - serverless (kserve-v2.md §5): 401, empty body (`content-length: 0`), `server: istio-envoy`,
 *   `www-authenticate: Bearer realm="kubernetes-user"`, `x-ext-auth-reason`; a forbidden token:
 *   403, empty body, `x-ext-auth-reason: not authorized: ...`.
 * - raw: kube-rbac-proxy pkg/filters/auth.go `http.Error(w, "Unauthorized", 401)`: Go's
 *   http.Error sends `text/plain; charset=utf-8`, `x-content-type-options: nosniff` and the text
 *   plus a newline; a forbidden token: 403 `Forbidden (user=..., verb=get,
 *   resource=inferenceservices, subresource=)`.
 */
export function restDenial(mode: AuthMode, failure: AuthFailure): CannedReply {
  const forbidden = failure === "not-authorized";
  if (mode === "serverless") {
    return {
      status: forbidden ? 403 : 401,
      headers: {
        // Authorino challenges only identity failures; an authorization denial has no challenge.
        ...(forbidden ? {} : { "www-authenticate": 'Bearer realm="kubernetes-user"' }),
        "x-ext-auth-reason": extAuthReason(failure),
        server: "istio-envoy",
      },
      body: "",
    };
  }
  return {
    status: forbidden ? 403 : 401,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
    },
    body: forbidden
      ? `Forbidden (user=${forbiddenUser}, verb=get, resource=inferenceservices, subresource=)\n`
      : "Unauthorized\n",
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
      "grpc-status": String(codeFromGrpcHttpStatus(http.status)),
    },
  };
}

/**
 * The code a gRPC client reports for a refused call, in either mode: UNAUTHENTICATED for 401,
 * PERMISSION_DENIED for 403.
 */
export function grpcDenialCode(mode: AuthMode, failure: AuthFailure): Code {
  return codeFromGrpcHttpStatus(restDenial(mode, failure).status);
}
