/**
 * `@servingkit/client-core` for browsers and edge runtimes (export conditions `browser`,
 * `worker`, `workerd`, `edge-light`): the REST client, errors, retries and SSE decoding, with
 * nothing that needs Node.js (no `node:*`, undici or connect-node). TLS options throw here, and
 * the gRPC transport is absent: gRPC over HTTP/2 trailers needs Node.js.
 *
 * @packageDocumentation
 */

export * from "./universal.js";
export { createHttpClient } from "./web-http-client.js";
