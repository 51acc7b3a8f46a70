import { type RuntimeName, runtimeNames } from "@servingkit/mock-core";
import { startRuntimeMock } from "@servingkit/mocks";
import type { KnownFailingEntry } from "./known-failing.js";
import type { AuthMode, Target } from "./target.js";

/** One group of in-process mocks for {@link startMockTargets}. */
export interface MockTargetOptions {
  /** Target group, the column set in the table. Default `mock`. */
  readonly group?: string;
  /** Which runtimes to start. Default all seven. */
  readonly runtimes?: readonly RuntimeName[];
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
  const runtimes = options.runtimes ?? runtimeNames;
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
    };
  });
  return { targets, close };
}

function withScheme(address: string, tls: boolean): string {
  return /^[a-z]+:\/\//i.test(address) ? address : `${tls ? "https" : "http"}://${address}`;
}
