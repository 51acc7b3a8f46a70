import { ServingkitError } from "@servingkit/client-core";

/** How a gRPC call ended: its answer, or the error normalised by client-core. */
export type GrpcOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ServingkitError };

/**
 * Awaits a call and reports how it ended instead of throwing, so a case can assert on the code
 * of a refusal. Errors go through `ServingkitError.from`, which keeps the gRPC code of a
 * `ConnectError` and of client-core's own errors alike.
 */
export async function grpcOutcome<T>(call: Promise<T>): Promise<GrpcOutcome<T>> {
  try {
    return { ok: true, value: await call };
  } catch (thrown) {
    return { ok: false, error: ServingkitError.from(thrown) };
  }
}
