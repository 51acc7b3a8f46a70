/**
 * The platform's token authorization (kserve-v2.md §5): every path of an InferenceService route,
 * health included, needs `Authorization: Bearer <token>` when token auth is on. A missing or wrong
 * token is refused with 401 in the shape of the mode's proxy (serverless: Authorino, empty body
 * and `x-ext-auth-reason`; raw: kube-rbac-proxy, `text/plain` `Unauthorized\n`); on gRPC the
 * client sees UNAUTHENTICATED. The right token passes through to the runtime.
 */
import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import {
  type AuthFailure,
  grpcDenialCode,
  type RuntimeName,
  restDenial,
  runtimeCatalog,
  runtimeNames,
} from "@servingkit/mock-core";
import { Health } from "@servingkit/proto/health";
import { type ContractCase, defineCase, type TokenChoice } from "../contract-case.js";
import { assertReply } from "./expect-reply.js";
import { grpcOutcome } from "./grpc-outcome.js";
import { probeRoute } from "./probe-route.js";

/** A token no cluster hands out, for the wrong-token cases. */
export const wrongToken = "servingkit-contract-wrong-token";

const grpcRuntimes: readonly RuntimeName[] = runtimeNames.filter(
  (runtime) => runtimeCatalog[runtime].grpcPort,
);

function restDeniedCase(id: string, token: TokenChoice, failure: AuthFailure, title: string) {
  return defineCase({
    id,
    title,
    source: "kserve-v2.md §5 (Authorino ext_authz; kube-rbac-proxy pkg/filters/auth.go)",
    runtimes: runtimeNames,
    transport: "rest",
    needs: ["auth"],
    async run(context) {
      const route = probeRoute(context);
      const answer = await context.rest(route.path, { token });
      const mode = context.target.authMode ?? "serverless";
      assertReply(answer, restDenial(mode, failure), `GET ${route.path} (${mode} mode)`);
    },
  });
}

function grpcDeniedCase(id: string, token: TokenChoice, failure: AuthFailure, title: string) {
  return defineCase({
    id,
    title,
    source: "kserve-v2.md §5; gRPC doc/http-grpc-status-mapping.md (401 -> UNAUTHENTICATED)",
    runtimes: grpcRuntimes,
    transport: "grpc",
    needs: ["auth"],
    async run(context) {
      const health = createClient(Health, context.grpc({ token }));
      const outcome = await grpcOutcome(health.check({ service: "" }, { signal: context.signal }));
      if (outcome.ok) assert.fail("expected the call to be refused, but it was answered");
      const expected = grpcDenialCode(context.target.authMode ?? "serverless", failure);
      assert.equal(Code[outcome.error.code], Code[expected], outcome.error.message);
    },
  });
}

/** The auth cases of every runtime. */
export const authCases: readonly ContractCase[] = [
  restDeniedCase(
    "auth/rest-missing-token",
    "none",
    "credential-not-found",
    "a request without a token is refused with the mode's 401",
  ),
  restDeniedCase(
    "auth/rest-wrong-token",
    { value: wrongToken },
    "not-authenticated",
    "a request with a wrong token is refused with the mode's 401",
  ),
  defineCase({
    id: "auth/rest-right-token",
    title: "a request with the right token reaches the runtime",
    source: "kserve-v2.md §5",
    runtimes: runtimeNames,
    transport: "rest",
    needs: ["auth"],
    async run(context) {
      const route = probeRoute(context);
      const answer = await context.rest(route.path, { token: "target" });
      assertReply(answer, route.ready, `GET ${route.path} with the right token`);
    },
  }),
  grpcDeniedCase(
    "auth/grpc-missing-token",
    "none",
    "credential-not-found",
    "a gRPC call without a token fails with UNAUTHENTICATED",
  ),
  grpcDeniedCase(
    "auth/grpc-wrong-token",
    { value: wrongToken },
    "not-authenticated",
    "a gRPC call with a wrong token fails with UNAUTHENTICATED",
  ),
  defineCase({
    id: "auth/grpc-right-token",
    title: "a gRPC call with the right token reaches the runtime's gRPC server",
    source: "kserve-v2.md §4.1, §5; caikit-tgis.md §2.1",
    runtimes: grpcRuntimes,
    transport: "grpc",
    needs: ["auth"],
    async run(context) {
      const health = createClient(Health, context.grpc({ token: "target" }));
      const outcome = await grpcOutcome(health.check({ service: "" }, { signal: context.signal }));
      // Past the proxy, the runtime itself answers: SERVING where it registers Health,
      // UNIMPLEMENTED where it does not.
      const got = outcome.ok ? "answered" : Code[outcome.error.code];
      const expected = context.runtime.grpcHealth ? "answered" : Code[Code.Unimplemented];
      assert.equal(got, expected, outcome.ok ? "" : outcome.error.message);
    },
  }),
];
