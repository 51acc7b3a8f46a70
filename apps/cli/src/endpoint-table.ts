/**
 * How `servingkit mock` reports where its mocks listen: one ready line per server, and for
 * several a table. Pure formatting.
 */
import type { RunningMock } from "@servingkit/mock-core";

/**
 * The ready line of one mock, e.g.
 * `servingkit triton ready: REST http://127.0.0.1:8080  gRPC 127.0.0.1:9000`.
 * A TLS gRPC address is marked `(TLS)`.
 */
export function readyLine(
  mock: Pick<RunningMock, "runtime" | "endpoints" | "certificatePem">,
): string {
  const parts = [`servingkit ${mock.runtime} ready: REST ${mock.endpoints.http ?? "-"}`];
  if (mock.endpoints.grpc) {
    parts.push(`gRPC ${mock.endpoints.grpc}${mock.certificatePem ? " (TLS)" : ""}`);
  }
  return parts.join("  ");
}

/** A table of runtimes and endpoints, columns padded to the widest cell. */
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
