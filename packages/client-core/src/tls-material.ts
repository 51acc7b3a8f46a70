/**
 * Node-only: turns {@link TlsOptions} into the options Node's `tls.connect` takes, reading the
 * files they name. Shared by the REST path (an undici `Agent`) and the gRPC path (connect-node's
 * `nodeOptions`), so both trust and present exactly the same certificates.
 */
import { readFileSync } from "node:fs";
import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";
import type { TlsOptions } from "./tls-options.js";

/** The subset of Node's `tls.ConnectionOptions` that {@link TlsOptions} controls. */
export interface TlsMaterial {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized: boolean;
}

function pick(
  options: TlsOptions,
  inline: "ca" | "cert" | "key",
  file: "caFile" | "certFile" | "keyFile",
): string | Buffer | undefined {
  const value = options[inline];
  const path = options[file];
  if (value !== undefined && path !== undefined) {
    throw new ServingkitError(
      `TLS options give both ${inline} and ${file}; give one`,
      Code.InvalidArgument,
      { retryable: false },
    );
  }
  if (path !== undefined) {
    try {
      return readFileSync(path);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new ServingkitError(
        `cannot read TLS ${file} ${path}: ${detail}`,
        Code.InvalidArgument,
        {
          cause,
          retryable: false,
        },
      );
    }
  }
  if (value === undefined || typeof value === "string") {
    return value;
  }
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Reads and checks TLS options: each of CA, certificate and key given at most once (inline or
 * file), certificate and key together or not at all, unreadable files reported with their path.
 * Every failure is a `Code.InvalidArgument` error, never retried.
 */
export function loadTlsMaterial(options: TlsOptions): TlsMaterial {
  const ca = pick(options, "ca", "caFile");
  const cert = pick(options, "cert", "certFile");
  const key = pick(options, "key", "keyFile");
  if ((cert === undefined) !== (key === undefined)) {
    throw new ServingkitError(
      "TLS options give a client certificate without its key, or a key without its certificate",
      Code.InvalidArgument,
      { retryable: false },
    );
  }
  return {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    rejectUnauthorized: options.insecure !== true,
  };
}
