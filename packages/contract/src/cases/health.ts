/**
 * Health and readiness, the way the platform's probes and users' scripts see them: each runtime's
 * REST liveness/readiness routes answer the status and body the real server sends (Triton,
 * MLServer and OVMS: status only, empty body; Caikit: `OK`; vLLM and TGIS: empty), and the gRPC
 * port serves `grpc.health.v1.Health` exactly where the real runtime registers it.
 *
 * Expected answers come from the runtime catalog of `@servingkit/mock-core`, which names the fact
 * behind each entry; running these cases against a live endpoint is what keeps it honest.
 */
import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import { type HealthRoute, runtimeCatalog, runtimeNames } from "@servingkit/mock-core";
import { Health, HealthCheckResponse_ServingStatus } from "@servingkit/proto/health";
import { type ContractCase, defineCase } from "../contract-case.js";
import { assertReply } from "./expect-reply.js";
import { grpcOutcome } from "./grpc-outcome.js";

/** `/v2/health/live` -> `live`, `/health` -> `health`: the last path segment names the case. */
function routeCaseName(route: HealthRoute, method: string): string {
  const last = route.path.split("/").filter(Boolean).at(-1) ?? "root";
  return method === "GET" ? `rest-${last}` : `rest-${last}-${method.toLowerCase()}`;
}

/** One case per runtime, health route and method. */
const restHealthCases: ContractCase[] = runtimeNames.flatMap((runtime) =>
  runtimeCatalog[runtime].healthRoutes.flatMap((route) =>
    route.methods.map((method) =>
      defineCase({
        id: `health/${routeCaseName(route, method)}`,
        title: `${method} ${route.path} answers ${route.ready.status} with the real server's body`,
        source: runtimeCatalog[runtime].sources.join("; "),
        runtimes: [runtime],
        transport: "rest",
        async run(context) {
          const answer = await context.rest(route.path, { method });
          assertReply(answer, route.ready, `${method} ${route.path}`);
        },
      }),
    ),
  ),
);

const grpcRuntimes = runtimeNames.filter((runtime) => runtimeCatalog[runtime].grpcPort);

/**
 * kserve-v2.md §4.1 (Triton serves grpc.health.v1.Health); caikit-tgis.md §2.1 (Caikit: Health,
 * overall status SERVING). The empty service name asks for the server as a whole.
 */
const grpcServing = defineCase({
  id: "health/grpc-serving",
  title: "grpc.health.v1.Health/Check for the whole server answers SERVING",
  source: "kserve-v2.md §4.1; caikit-tgis.md §2.1",
  runtimes: grpcRuntimes.filter((runtime) => runtimeCatalog[runtime].grpcHealth),
  transport: "grpc",
  async run(context) {
    const health = createClient(Health, context.grpc());
    const answer = await health.check({ service: "" }, { signal: context.signal });
    assert.equal(
      HealthCheckResponse_ServingStatus[answer.status],
      HealthCheckResponse_ServingStatus[HealthCheckResponse_ServingStatus.SERVING],
    );
  },
});

/**
 * kserve-v2.md §4.1 lists no health service for MLServer and OVMS; caikit-tgis.md §3 none for
 * TGIS. Their gRPC servers answer an unregistered method with UNIMPLEMENTED, and the message
 * their gRPC library sends (the catalog's `grpcUnimplementedMessage`: grpcio's "Method not
 * found!" for MLServer, none for the C++ and Rust servers).
 */
const grpcAbsent = defineCase({
  id: "health/grpc-absent",
  title: "grpc.health.v1.Health/Check answers UNIMPLEMENTED where the runtime registers no Health",
  source: "kserve-v2.md §4.1; caikit-tgis.md §3",
  runtimes: grpcRuntimes.filter((runtime) => !runtimeCatalog[runtime].grpcHealth),
  transport: "grpc",
  async run(context) {
    const health = createClient(Health, context.grpc());
    const outcome = await grpcOutcome(health.check({ service: "" }, { signal: context.signal }));
    if (outcome.ok) assert.fail(`expected UNIMPLEMENTED, got status ${outcome.value.status}`);
    assert.equal(Code[outcome.error.code], Code[Code.Unimplemented], outcome.error.message);
    assert.equal(
      outcome.error.rawMessage,
      context.runtime.grpcUnimplementedMessage,
      "grpc-message",
    );
  },
});

/** The health cases of every runtime. */
export const healthCases: readonly ContractCase[] = [...restHealthCases, grpcServing, grpcAbsent];
