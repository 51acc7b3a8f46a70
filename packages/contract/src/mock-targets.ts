import { type RuntimeName, runtimeNames } from "@servingkit/mock-core";
import { startRuntimeMock } from "@servingkit/mocks";
import type { KnownFailingEntry } from "./known-failing.js";
import type { AuthMode, Deployment, Target } from "./target.js";

/** The runtimes ModelMesh serves (kserve-v2.md §3.4): the KServe v2 ones, with `--modelmesh` mocks. */
export const modelmeshRuntimes: readonly RuntimeName[] = ["ovms", "triton", "mlserver"];

/** One group of in-process mocks for {@link startMockTargets}. */
export interface MockTargetOptions {
  /** Target group, the column set in the table. Default `mock`. */
  readonly group?: string;
  /** Which runtimes to start. Default all seven, or {@link modelmeshRuntimes} for `modelmesh`. */
  readonly runtimes?: readonly RuntimeName[];
  /**
   * `modelmesh` starts the mocks as ModelMesh serves them (the kserve module's `--modelmesh`:
   * REST proxy and model id routing), and their targets say so. Default `single-model`.
   */
  readonly deployment?: Deployment;
  /** When set, the mocks enforce token authorization and accept this token. */
  readonly token?: string;
  /** The proxy whose refusals the mocks imitate. Default `serverless` (only with a token). */
  readonly authMode?: AuthMode;
  /** Serve HTTPS and gRPC over TLS with a self-signed certificate the targets trust. */
  readonly tls?: boolean;
  /** Cases expected to fail on these mocks (a file path or entries). */
  readonly knownFailing?: readonly KnownFailingEntry[] | string;
}

/** Started mocks and the targets pointing at them. */
export interface MockTargets {
  /** One target per runtime, named `<group>:<runtime>`. */
  readonly targets: readonly Target[];
  /** Stops every mock of the group. */
  close(): Promise<void>;
}

/**
 * Starts one in-process mock per runtime on 127.0.0.1 with ephemeral ports (REST and, where the
 * runtime has one, gRPC) and describes each as a target, with the token it was started with and
 * the certificate it generated as the trusted CA. Mocks started before a failure are closed.
 */
export async function startMockTargets(options: MockTargetOptions = {}): Promise<MockTargets> {
  const group = options.group ?? "mock";
  const modelmesh = options.deployment === "modelmesh";
  const runtimes = mockRuntimes(options);
  const stray = modelmesh ? runtimes.filter((r) => !modelmeshRuntimes.includes(r)) : [];
  if (stray.length > 0) {
    throw new Error(
      `ModelMesh serves only ${modelmeshRuntimes.join(", ")}, not ${stray.join(", ")}`,
    );
  }
  const authMode = options.token ? (options.authMode ?? "serverless") : undefined;
  const started = await Promise.allSettled(
    runtimes.map((runtime) =>
      startRuntimeMock({
        runtime,
        host: "127.0.0.1",
        httpPort: 0,
        grpcPort: 0,
        ...(options.token && { tokens: [options.token] }),
        ...(authMode && { authMode }),
        ...(options.tls && { tls: true }),
        ...(modelmesh && { values: { modelmesh: true } }),
        logger: false,
      }),
    ),
  );
  const mocks = started.flatMap((outcome) =>
    outcome.status === "fulfilled" ? [outcome.value] : [],
  );
  const close = async () => {
    await Promise.all(mocks.map((mock) => mock.close()));
  };
  const failure = started.find((outcome) => outcome.status === "rejected");
  if (failure) {
    await close();
    throw failure.reason;
  }
  const targets = mocks.map((mock, index): Target => {
    const runtime = runtimes[index] as RuntimeName;
    const grpc = mock.endpoints.grpc;
    return {
      name: `${group}:${runtime}`,
      group,
      runtime,
      ...(mock.endpoints.http && { rest: mock.endpoints.http }),
      ...(grpc && { grpc: withScheme(grpc, options.tls === true) }),
      ...(options.token && { token: options.token }),
      ...(authMode && { authMode }),
      ...(mock.certificatePem && { tls: { ca: mock.certificatePem } }),
      ...(options.knownFailing && { knownFailing: options.knownFailing }),
      ...(modelmesh && { deployment: "modelmesh" as const }),
    };
  });
  return { targets, close };
}

/** The runtimes a mock group starts: its `runtimes`, else all seven (ModelMesh: its three). */
export function mockRuntimes(options: MockTargetOptions): readonly RuntimeName[] {
  return (
    options.runtimes ?? (options.deployment === "modelmesh" ? modelmeshRuntimes : runtimeNames)
  );
}

function withScheme(address: string, tls: boolean): string {
  return /^[a-z]+:\/\//i.test(address) ? address : `${tls ? "https" : "http"}://${address}`;
}
