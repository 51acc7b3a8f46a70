/**
 * TLS as the platform serves it: the external route is HTTPS on :443, often signed by a cluster
 * CA that clients pass with `--cacert` (kserve-v2.md §5; the seeds' `grpcurl -cacert` example).
 * With the target's trust a request gets through; where the target names a private CA, a client
 * that trusts only the system roots must be refused during the handshake.
 */
import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import { runtimeCatalog, runtimeNames } from "@servingkit/mock-core";
import { Health } from "@servingkit/proto/health";
import { type ContractCase, defineCase } from "../contract-case.js";
import { grpcOutcome } from "./grpc-outcome.js";
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
      const outcome = await grpcOutcome(health.check({ service: "" }, { signal: context.signal }));
      // Any status the server sent proves the handshake (UNIMPLEMENTED where it has no Health);
      // a failed handshake has no gRPC status from the server at all.
      if (!outcome.ok) {
        assert.notEqual(outcome.error.grpcCode, undefined, outcome.error.message);
      }
    },
  }),
  defineCase({
    id: "tls/grpc-untrusted",
    title: "a gRPC client that trusts only the system CAs fails before any server status",
    source: "kserve-v2.md §5 (clients pass the cluster CA: grpcurl -cacert)",
    runtimes: grpcRuntimes,
    transport: "grpc",
    needs: ["private-ca"],
    async run(context) {
      const health = createClient(Health, context.grpc({ trust: "system" }));
      const outcome = await grpcOutcome(health.check({ service: "" }, { signal: context.signal }));
      if (outcome.ok) assert.fail("expected the TLS handshake to fail without the private CA");
      // The failure is local: no gRPC status came off the wire (grpc-js reports it as
      // UNAVAILABLE, connect-node as INTERNAL; both carry Node's certificate error).
      assert.equal(outcome.error.grpcCode, undefined, outcome.error.message);
      assert.notEqual(outcome.error.code, Code.Unauthenticated);
    },
  }),
];
