/**
 * A request the mock refuses, in protocol-neutral terms: a kind (which the runtime's profile
 * maps to an HTTP status and a gRPC code) and the runtime's own message. Handlers throw it; the
 * REST and gRPC adapters render it.
 */

/**
 * The kinds of refusal. Triton's status codes (kserve-v2.md §3.1: INVALID_ARG, NOT_FOUND,
 * INTERNAL, UNAVAILABLE, UNSUPPORTED, and ALREADY_EXISTS for a shared-memory region registered
 * twice) plus MLServer's FastAPI validation (`unprocessable`, 422
 * with `{"detail": [...]}`) and OVMS's invalid-JSON 412 (`precondition`).
 */
export type FaultKind =
  | "invalid"
  | "not-found"
  | "internal"
  | "unavailable"
  | "unsupported"
  | "already-exists"
  | "unprocessable"
  | "precondition";

/** One FastAPI/pydantic validation entry of a 422 `detail` list (MLServer). */
export interface ValidationDetail {
  /** pydantic error type (`missing`, `enum`, `json_invalid`, `model_attributes_type`, ...). */
  readonly type: string;
  /** Where: `["body", "inputs", 0, "datatype"]`. */
  readonly loc: readonly (string | number)[];
  /** pydantic's message. */
  readonly msg: string;
  /** The offending input. */
  readonly input: unknown;
  /** Extra context (e.g. `expected` for enums). */
  readonly ctx?: Readonly<Record<string, unknown>>;
}

/** A refusal: thrown by the pure handlers, rendered per runtime by the adapters. */
export class InferFault extends Error {
  override readonly name = "InferFault";
  /** What kind of refusal (mapped per profile). */
  readonly kind: FaultKind;
  /** FastAPI validation entries for `unprocessable`. */
  readonly detail: readonly ValidationDetail[] | undefined;

  constructor(kind: FaultKind, message: string, detail?: readonly ValidationDetail[]) {
    super(message);
    this.kind = kind;
    this.detail = detail;
  }
}
