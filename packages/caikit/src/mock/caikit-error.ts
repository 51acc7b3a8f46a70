/**
 * Caikit's errors: one value carrying what each surface shows of it (unary REST status and
 * `details`, the SSE error event's code and `details`, the gRPC code and message), and the
 * mapping of TGIS's gRPC errors through caikit-nlp and caikit (caikit-tgis.md §1.5, §1.7, §2.6).
 */
import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { type PyJson, pythonJson, pythonRepr } from "./python-json.js";

/** An error as caikit reports it. */
export class CaikitError extends Error {
  /**
   * @param httpStatus unary REST status (and `code` in the body)
   * @param grpcCode the gRPC status code
   * @param streamStatus the `code` of an SSE error event (differs for connection errors)
   * @param streamDetails the `details` of an SSE error event (Python `repr` for ValueError)
   * @param additionalInfo pydantic's error list (422 only)
   */
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly grpcCode: Code,
    readonly streamStatus: number = httpStatus,
    readonly streamDetails: string = message,
    readonly additionalInfo?: PyJson,
  ) {
    super(message);
    this.name = "CaikitError";
  }

  /** As a gRPC status (caikit's servicer aborts with the code and `str(e)`). */
  toConnectError(): ConnectError {
    return new ConnectError(this.message, this.grpcCode);
  }
}

/** A Python `ValueError(text)` from a module: 400 / INVALID_ARGUMENT; SSE details are its repr. */
export function valueError(text: string): CaikitError {
  return new CaikitError(text, 400, Code.InvalidArgument, 400, `ValueError(${pythonRepr(text)})`);
}

/** caikit's `error.value_check` failure: `value check failed: <text>`, raised as ValueError. */
export function valueCheck(text: string): CaikitError {
  return valueError(`value check failed: ${text}`);
}

/** No `model_id` in the REST body (caikit-tgis.md §1.7). */
export function missingModelId(): CaikitError {
  return new CaikitError("Please provide model_id in payload", 400, Code.InvalidArgument);
}

/** No `mm-model-id` metadata on a gRPC call (caikit-tgis.md §2.6). */
export function missingGrpcModelId(): CaikitError {
  return new CaikitError("Missing required model ID", 400, Code.InvalidArgument);
}

/** A model the runtime cannot load (caikit-tgis.md §1.7, §2.6). */
export function modelNotLoaded(modelId: string): CaikitError {
  return new CaikitError(`Model '${modelId}' not loaded`, 404, Code.NotFound);
}

/**
 * gRPC: the model's class has no inference signature for the RPC's task. caikit's
 * `GlobalPredictServicer.Predict` aborts INVALID_ARGUMENT
 * "Model class <class '<module path>'> does not support <RpcName>" (global_predict_servicer.py).
 */
export function unsupportedRpc(pythonClass: string, rpcName: string): CaikitError {
  return new CaikitError(
    `Model class <class '${pythonClass}'> does not support ${rpcName}`,
    400,
    Code.InvalidArgument,
  );
}

/**
 * REST: the HTTP server calls `predict_model` directly (not `Predict`), which reads
 * `.method_name` of the missing signature; the AttributeError becomes an INTERNAL
 * CaikitRuntimeException with `str(e)`, so HTTP 500 (and code 500 in an SSE error event)
 * (http_server.py, global_predict_servicer.py `_handle_predict_exceptions`; derived).
 */
export function unsupportedRoute(): CaikitError {
  return new CaikitError("'NoneType' object has no attribute 'method_name'", 500, Code.Internal);
}

/** caikit-nlp's INACTIVE_RPC_CONN_ERR_MESSAGE for lost TGIS connections. */
export const connectionClosedMessage = "The underlying TCP connection is closed";

/**
 * A TGIS gRPC error as Caikit TGIS surfaces it: caikit-nlp's GRPC_TO_CAIKIT_CORE_STATUS, then
 * caikit's code tables (unary: via the gRPC code; SSE: the CaikitCore row) — caikit-tgis.md §1.7.
 */
export function fromTgisError(error: ConnectError): CaikitError {
  const details = error.rawMessage;
  switch (error.code) {
    case Code.InvalidArgument:
    case Code.AlreadyExists:
    case Code.ResourceExhausted:
    case Code.FailedPrecondition:
    case Code.OutOfRange:
      return new CaikitError(details, 400, Code.InvalidArgument);
    case Code.Canceled:
    case Code.DeadlineExceeded:
    case Code.Aborted:
    case Code.Unavailable:
    case Code.DataLoss:
      return new CaikitError(connectionClosedMessage, 501, Code.Unavailable, 500);
    case Code.NotFound:
      return new CaikitError(details, 404, Code.NotFound);
    case Code.PermissionDenied:
      return new CaikitError(details, 403, Code.PermissionDenied);
    case Code.Unauthenticated:
      return new CaikitError(details, 401, Code.Unauthenticated);
    case Code.Internal:
      return new CaikitError(details, 500, Code.Internal);
    default:
      return new CaikitError(details, 500, Code.Unknown);
  }
}

/** Any thrown value as a CaikitError (unexpected ones as caikit's "Unhandled exception"). */
export function asCaikitError(thrown: unknown): CaikitError {
  if (thrown instanceof CaikitError) return thrown;
  if (thrown instanceof ConnectError) return fromTgisError(thrown);
  const text = thrown instanceof Error ? thrown.message : String(thrown);
  return new CaikitError(`Unhandled exception: ${text}`, 500, Code.Internal);
}

/** caikit's error body `{"details", ["additional_info",] "code", "id"}` (id: 32 hex digits). */
export function caikitErrorBody(details: string, code: number, additionalInfo?: PyJson): string {
  const id = randomBytes(16).toString("hex");
  return pythonJson(
    additionalInfo === undefined
      ? { details, code, id }
      : { details, additional_info: additionalInfo, code, id },
  );
}
