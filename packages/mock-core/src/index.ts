/**
 * `@servingkit/mock-core`: the runtime-neutral host of the servingkit mock runtimes. It serves a
 * runtime's REST routes (fastify) and gRPC services (connect on `node:http2`) from per-runtime
 * plugins, with the platform's behaviours in front: bearer-token authorization as Authorino or
 * kube-rbac-proxy answers it, TLS, fault injection, readiness and slow start, gRPC health and
 * reflection, a pino request log and graceful shutdown.
 *
 * Users start mocks with `startMock` / `buildMock`; plugin authors implement `MockPlugin` and use
 * `PluginContext`, `cutStream`, `sendCanned` and the status tables.
 *
 * Everything is also reachable through the entry point of its concept (`/host`, `/engine`,
 * `/chat-template`, `/gpu`, `/structured`), which loads only that part; this entry is their union.
 *
 * @packageDocumentation
 */

export * from "./chat-template-entry.js";
export * from "./engine-entry.js";
export * from "./gpu-entry.js";
export * from "./host.js";
export * from "./structured-entry.js";
