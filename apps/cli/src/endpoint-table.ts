/**
 * How `servingkit mock` reports where its mocks listen: one ready line per server, and for
 * several a table. Pure formatting.
 */
import type { RunningMock } from "@servingkit/mock-core";

/**
 * The model ids clients must send to a mock (its module's `defaultModels`), shown where the
 * runtime checks them (Caikit's `model_id` / `mm-model-id`); absent or empty: not shown.
 */
export interface ServedModels {
  readonly models?: readonly string[] | undefined;
}

/**
 * The ready line of one mock, e.g.
 * `servingkit triton ready: REST http://127.0.0.1:8080  gRPC 127.0.0.1:9000`, or
 * `... gRPC 127.0.0.1:8085  model flan-t5-small-caikit` when the mock names its model ids.
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
  if (models.length > 0) parts.push(`model${models.length > 1 ? "s" : ""} ${models.join(", ")}`);
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
