import { type ClientOptions, createHttpClientWith, type HttpClient } from "./http-client.js";

/**
 * Creates the REST client for browsers and edge runtimes (the `browser`, `worker`, `workerd`
 * and `edge-light` export conditions): the same client as on Node.js, minus `tls` options, which
 * throw `Code.InvalidArgument` because the platform's trust store decides there. Pass `fetch` to
 * use another fetch than the global one.
 */
export function createHttpClient(options: ClientOptions): HttpClient {
  return createHttpClientWith(options, undefined);
}
