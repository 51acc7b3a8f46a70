/**
 * TLS settings for Node.js clients of an HTTPS route or a TLS gRPC port. The platform serves
 * every runtime behind an HTTPS route on :443 (kserve-v2.md §5), often with a cluster-internal
 * or self-signed CA. PEM text or bytes may be given inline or as file paths (read when the
 * client first needs them). Browsers and edge runtimes use their platform's trust store and
 * accept none of this.
 */
export interface TlsOptions {
  /** Trusted CA certificate(s), PEM; replaces Node's default trust store. */
  ca?: string | Uint8Array;
  /** Path of a PEM file with the trusted CA certificate(s); an alternative to `ca`. */
  caFile?: string;
  /** Client certificate (PEM) for mutual TLS; needs `key`/`keyFile`. */
  cert?: string | Uint8Array;
  /** Path of the client certificate (PEM); an alternative to `cert`. */
  certFile?: string;
  /** Client private key (PEM) for mutual TLS; needs `cert`/`certFile`. */
  key?: string | Uint8Array;
  /** Path of the client private key (PEM); an alternative to `key`. */
  keyFile?: string;
  /**
   * Skip server certificate verification, like `curl -k` or `grpcurl -insecure`: the connection
   * is encrypted but not authenticated. For test clusters only; default `false`.
   */
  insecure?: boolean;
}

/**
 * A `fetch` bound to a TLS-configured connection pool, and the way to close that pool. The Node
 * entry point makes one from {@link TlsOptions} (undici `Agent` as the dispatcher).
 */
export interface TlsFetch {
  /** Sends requests through the pool. */
  readonly fetch: typeof globalThis.fetch;
  /** Closes the pool's connections; the fetch must not be used afterwards. */
  close(): Promise<void>;
}

/** Builds a {@link TlsFetch}; what an entry point that supports TLS options provides. */
export type TlsFetchLoader = (options: TlsOptions) => Promise<TlsFetch>;
