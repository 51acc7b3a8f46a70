/**
 * TLS as the platform serves it: the external route is HTTPS on :443, often signed by a cluster
 * CA that clients pass with `--cacert` (kserve-v2.md §5; the seeds' `grpcurl -cacert` example).
 * With the target's trust a request gets through; where the target names a private CA, a client
 * that trusts only the system roots must be refused during the handshake.
 */
import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { runtimeCatalog, runtimeNames } from "@servingkit/mock-core";
import { Health } from "@servingkit/proto/health";
import { type ContractCase, defineCase } from "../contract-case.js";
import { probeRoute } from "./probe-route.js";

const grpcRuntimes = runtimeNames.filter((runtime) => runtimeCatalog[runtime].grpcPort);

/** The TLS cases of every runtime. */
export const tlsCases: readonly ContractCase[] = [
  defineCase({
    id: "tls/rest-reachable",
    title: "the REST URL completes a TLS handshake with the target's trust and answers",
    source: "kserve-v2.md §5 (HTTPS route on :443)",
    runtimes: runtimeNames,
    transport: "rest",
    needs: ["tls"],
    async run(context) {
      const route = probeRoute(context);
      const answer = await context.rest(route.path);
      assert.equal(answer.status, route.ready.status, `GET ${route.path} over TLS: status`);
    },
  }),
  defineCase({
    id: "tls/rest-untrusted",
    title: "a client that trusts only the system CAs is refused by the privately signed endpoint",
    source: "kserve-v2.md §5 (clients pass the cluster CA or -k)",
    runtimes: runtimeNames,
    transport: "rest",
    needs: ["private-ca"],
    async run(context) {
      const route = probeRoute(context);
      await assert.rejects(
        context.rest(route.path, { trust: "system" }),
        "expected the TLS handshake to fail without the private CA",
      );
    },
  }),
  defineCase({
    id: "tls/grpc-reachable",
    title: "the gRPC address completes a TLS handshake with the target's trust and answers",
    source: "kserve-v2.md §5 (grpcurl -cacert ... <host>:443)",
    runtimes: grpcRuntimes,
    transport: "grpc",
    needs: ["tls"],
    async run(context) {
      const health = createClient(Health, context.grpc());
      const outcome = await health.check({ service: "" }, { signal: context.signal }).then(
        () => undefined,
        (thrown: unknown) => ConnectError.from(thrown),
      );
      // Any answer of the server proves the handshake; UNAVAILABLE is what a failed one gives.
      if (outcome !== undefined) {
        assert.notEqual(Code[outcome.code], Code[Code.Unavailable], outcome.message);
      }
    },
  }),
  defineCase({
    id: "tls/grpc-untrusted",
    title: "a gRPC client that trusts only the system CAs fails with UNAVAILABLE",
    source: "kserve-v2.md §5; grpc-js/connect map handshake failures to UNAVAILABLE",
    runtimes: grpcRuntimes,
    transport: "grpc",
    needs: ["private-ca"],
    async run(context) {
      const health = createClient(Health, context.grpc({ trust: "system" }));
      const error = await health.check({ service: "" }, { signal: context.signal }).then(
        () => assert.fail("expected the TLS handshake to fail without the private CA"),
        (thrown: unknown) => ConnectError.from(thrown),
      );
      assert.equal(Code[error.code], Code[Code.Unavailable], error.message);
    },
  }),
];
