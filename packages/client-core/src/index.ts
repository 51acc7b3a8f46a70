/**
 * `@servingkit/client-core`: the one client core every servingkit client stands on. Errors,
 * retries, timeouts, abort, bearer-token auth, TLS, SSE decoding (REST) and gRPC transports.
 * This is the Node.js entry point; browsers and edge runtimes resolve `./browser.js` instead
 * (the same API without TLS options and gRPC).
 *
 * @packageDocumentation
 */

// Node.js only: the REST client with TLS options, gRPC, TLS material.
export { abortOnExit, createGrpcClient } from "./grpc-client.js";
export {
  createGrpcTransport,
  type GrpcClientOptions,
  type GrpcTarget,
  grpcTarget,
} from "./grpc-transport.js";
export { createHttpClient } from "./node-http-client.js";
export { loadTlsMaterial, type TlsMaterial } from "./tls-material.js";
export * from "./universal.js";
