import { ConnectError } from "@connectrpc/connect";
import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";

/**
 * Node's certificate verification codes (`DEPTH_ZERO_SELF_SIGNED_CERT`, `CERT_HAS_EXPIRED`,
 * `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `HOSTNAME_MISMATCH`, ...: OpenSSL's X509_V_ERR names) and OpenSSL's (`ERR_SSL_*`,
 * `ERR_TLS_*`, e.g. `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED` when a server wants a client
 * certificate).
 */
const TLS_FAILURE_CODE =
  /^ERR_(SSL|TLS)_|CERT|CRL|SELF_SIGNED|HOSTNAME_MISMATCH|^UNABLE_TO_|^INVALID_(CA|PURPOSE)$|^PATH_LENGTH_EXCEEDED$/;

function codeOf(value: unknown): string | undefined {
  const code = (value as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `thrown`, or an error in its `cause` chain, is a failed TLS handshake. */
export function isTlsFailure(thrown: unknown): boolean {
  let current: unknown = thrown;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const code = codeOf(current);
    if (code !== undefined && TLS_FAILURE_CODE.test(code)) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The message of an error and of its cause, when the cause says more. */
export function describeThrown(thrown: unknown): string {
  if (!(thrown instanceof Error)) {
    return String(thrown);
  }
  const cause: unknown = thrown.cause;
  if (
    cause instanceof Error &&
    cause.message.length > 0 &&
    !thrown.message.includes(cause.message)
  ) {
    return `${thrown.message}: ${cause.message}`;
  }
  return thrown.message;
}

/**
 * A failure of the connection itself (refused, reset, DNS, TLS handshake): `Code.Unavailable`,
 * retried, as gRPC reports failed connections and handshakes, and as openai-node retries its
 * connection errors. Used for whatever `fetch` rejects with that is not an abort or a timeout.
 */
export function connectionError(thrown: unknown): ServingkitError {
  if (thrown instanceof ServingkitError) {
    return thrown;
  }
  return new ServingkitError(`connection error: ${describeThrown(thrown)}`, Code.Unavailable, {
    cause: thrown,
  });
}

/**
 * Converts what a connect call threw. connect-node reports a failed TLS handshake as a local
 * `Code.Internal`; it becomes the connection error it is (`Code.Unavailable`), the same as on the
 * REST path. Everything else goes through `ServingkitError.from` (codes and metadata kept).
 */
export function grpcCallError(thrown: unknown): ServingkitError {
  if (
    thrown instanceof ConnectError &&
    !thrown.isWireError &&
    thrown.code === Code.Internal &&
    isTlsFailure(thrown)
  ) {
    return connectionError(thrown.cause instanceof Error ? thrown.cause : thrown);
  }
  return ServingkitError.from(thrown);
}
