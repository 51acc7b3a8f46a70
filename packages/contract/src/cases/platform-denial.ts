/**
 * What the platform's proxy answers a refused request, as the contract expects it
 * (kserve-v2.md §5). `@servingkit/mock-core` states the same facts in `platform-auth.ts`
 * (`restDenial`, `grpcDenialCode`) but does not export them from its entry point yet; once it
 * does, these two functions should give way to those, so the fact lives in one place.
 */
import { Code } from "@connectrpc/connect";
import type { AuthFailure, CannedReply } from "@servingkit/mock-core";
import type { AuthMode } from "../target.js";

/**
 * The refusal a REST client sees.
 * - serverless (Authorino behind istio-envoy): 401, empty body, `www-authenticate: Bearer
 *   realm="kubernetes-user"`, `x-ext-auth-reason: credential not found | not authenticated`,
 *   `server: istio-envoy`.
 * - raw (kube-rbac-proxy, pkg/filters/auth.go through Go's `http.Error`): 401, `text/plain`,
 *   `x-content-type-options: nosniff`, body `Unauthorized\n`.
 */
export function expectedRestDenial(mode: AuthMode, failure: AuthFailure): CannedReply {
  if (mode === "serverless") {
    return {
      status: 401,
      headers: {
        "www-authenticate": 'Bearer realm="kubernetes-user"',
        "x-ext-auth-reason":
          failure === "credential-not-found" ? "credential not found" : "not authenticated",
        server: "istio-envoy",
      },
      body: "",
    };
  }
  return {
    status: 401,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
    body: "Unauthorized\n",
  };
}

/**
 * The code a gRPC client reports for a refused call in either mode: envoy maps its 401 local
 * reply to grpc-status UNAUTHENTICATED, and a gRPC client maps kube-rbac-proxy's HTTP 401 the
 * same way (gRPC doc/http-grpc-status-mapping.md).
 */
export function expectedGrpcDenialCode(): Code {
  return Code.Unauthenticated;
}
