/**
 * How `servingkit mock` reports where its mocks listen: one ready line per server, and for
 * several a table. Pure formatting.
 */
import type { RunningMock } from "@servingkit/mock-core";

/**
 * The model ids clients must send to a mock (its module's `defaultModels`): the names a runtime
 * checks in the request (vLLM's `model`, Caikit's `model_id` / `mm-model-id`, KServe's
 * `/v2/models/<name>` and `model_name`); absent or empty where the module names none or the
 * runtime takes any name: not shown.
 */
export interface ServedModels {
  readonly models?: readonly string[] | undefined;
}

/** How many model ids a ready line names before it counts the rest (`+N more`). */
export const readyLineModelLimit = 3;

/**
 * The ready line of one mock, e.g.
 * `servingkit vllm ready: REST http://127.0.0.1:8000  model facebook/opt-125m`, or
 * `servingkit triton ready: REST http://127.0.0.1:8080  gRPC 127.0.0.1:9000  models simple,
 * simple_string, identity_bool +13 more` (one line): the first {@link readyLineModelLimit} model
 * ids in the module's order, then how many more, so a runtime serving many stays readable.
 * A TLS gRPC address is marked `(TLS)`.
 */
export function readyLine(
  mock: Pick<RunningMock, "runtime" | "endpoints" | "certificatePem"> & ServedModels,
): string {
  const parts = [`servingkit ${mock.runtime} ready: REST ${mock.endpoints.http ?? "-"}`];
  if (mock.endpoints.grpc) {
    parts.push(`gRPC ${mock.endpoints.grpc}${mock.certificatePem ? " (TLS)" : ""}`);
  }
  const models = mock.models ?? [];
  if (models.length > 0) {
    const shown = models.slice(0, readyLineModelLimit).join(", ");
    const more = models.length - readyLineModelLimit;
    parts.push(`model${models.length > 1 ? "s" : ""} ${shown}${more > 0 ? ` +${more} more` : ""}`);
  }
  return parts.join("  ");
}

/**
 * A table of runtimes and endpoints, columns padded to the widest cell (the ready lines above it
 * name the model ids).
 */
export function endpointTable(
  mocks: readonly Pick<RunningMock, "runtime" | "endpoints">[],
): string {
  const rows = [
    ["runtime", "REST", "gRPC"],
    ...mocks.map((m) => [m.runtime, m.endpoints.http ?? "-", m.endpoints.grpc ?? "-"]),
  ];
  const widths = [0, 1].map((col) => Math.max(...rows.map((row) => (row[col] ?? "").length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => (col < 2 ? cell.padEnd((widths[col] ?? 0) + 2) : cell))
        .join("")
        .trimEnd(),
    )
    .join("\n");
}
