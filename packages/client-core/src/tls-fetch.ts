/**
 * Node-only: a `fetch` that speaks TLS as {@link TlsOptions} say, through an undici `Agent`
 * passed as the `dispatcher`. Loaded with a dynamic `import()` only by clients that have TLS
 * options, so neither undici nor `node:fs` sits on the path of a client that does not need them.
 */
import { Agent, fetch as undiciFetch } from "undici";
import { loadTlsMaterial } from "./tls-material.js";
import type { TlsFetch, TlsOptions } from "./tls-options.js";

/**
 * Builds a {@link TlsFetch}. undici's own `fetch` is used with its `Agent`, so the dispatcher
 * and the fetch come from the same undici version. Throws a `Code.InvalidArgument` error for
 * unreadable or inconsistent TLS options.
 */
export function createTlsFetch(options: TlsOptions): TlsFetch {
  const material = loadTlsMaterial(options);
  const dispatcher = new Agent({ connect: material });
  const fetch = ((
    input: Parameters<typeof undiciFetch>[0],
    init?: Parameters<typeof undiciFetch>[1],
  ) => undiciFetch(input, { ...init, dispatcher })) as unknown as typeof globalThis.fetch;
  return { fetch, close: () => dispatcher.close() };
}
