import { type ClientOptions, createHttpClientWith, type HttpClient } from "./http-client.js";
import type { TlsFetch, TlsOptions } from "./tls-options.js";

/**
 * Loads the TLS-capable fetch only when a client has TLS options, so that undici and `node:fs`
 * are not loaded for clients that do not need them.
 */
async function loadTlsFetch(options: TlsOptions): Promise<TlsFetch> {
  const { createTlsFetch } = await import("./tls-fetch.js");
  return createTlsFetch(options);
}

/**
 * Creates the REST client every servingkit client stands on (Node.js entry point): bearer-token
 * auth, per-attempt timeouts, retries as openai-node does them, `ServingkitError`s, SSE streams;
 * `tls` options (CA, client certificate, `insecure`) go through an undici `Agent`. Throws
 * `Code.InvalidArgument` for a bad `baseUrl`, `timeoutMs` or `maxRetries`, or for `tls` together
 * with an injected `fetch`; unreadable TLS files fail the first call.
 *
 * @example
 * const client = createHttpClient({ baseUrl: "https://my-model.apps.example.com", token });
 * const models = await client.json<{ data: { id: string }[] }>("/v1/models");
 */
export function createHttpClient(options: ClientOptions): HttpClient {
  return createHttpClientWith(options, loadTlsFetch);
}
