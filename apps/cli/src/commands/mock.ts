/**
 * `servingkit mock <runtime>|all`: start faithful mock runtimes and serve until stopped.
 */
import { writeFile } from "node:fs/promises";
import {
  createRequestLogger,
  type RunningMock,
  type RuntimeMockModule,
  type RuntimeOption,
  runtimeCatalog,
  runtimeNames,
  selfSignedCertificate,
} from "@servingkit/mock-core/host";
import { loadRuntimeModules, loadRuntimeModulesFor, startRuntimeMock } from "@servingkit/mocks";
import type { CliIo } from "../cli-io.js";
import { exitCodes, UsageError } from "../cli-io.js";
import type { Command } from "../command.js";
import { endpointTable, readyLine } from "../endpoint-table.js";
import {
  defaultBasePort,
  logLevels,
  type MockPlan,
  type MockTarget,
  namedRuntimes,
  parseMockArgs,
  portStride,
} from "./mock-args.js";

/**
 * The runtime modules' own options as help sections: one per set of runtimes that take them, so
 * options several modules share (the simulated GPU's) are listed once, under all their runtimes.
 */
function moduleOptionHelp(runtimeModules: readonly RuntimeMockModule[]): string {
  const sections = new Map<string, [string, RuntimeOption][]>();
  for (const module of runtimeModules) {
    for (const [name, option] of Object.entries(module.options ?? {})) {
      if ([...sections.values()].some((flags) => flags.some(([seen]) => seen === name))) continue;
      const runtimes = runtimeModules
        .filter((other) => other.options?.[name] !== undefined)
        .flatMap((other) => other.runtimes)
        .join(", ");
      sections.set(runtimes, [...(sections.get(runtimes) ?? []), [name, option]]);
    }
  }
  return [...sections]
    .map(([runtimes, options]) => {
      const flags = options.map(
        ([name, option]) =>
          [`--${name}${option.valueName ? ` ${option.valueName}` : ""}`, option] as const,
      );
      // The host's options align at column 22; longer flags push their section's column out.
      const width = Math.max(20, ...flags.map(([flag]) => flag.length + 2));
      const lines = flags.map(([flag, option]) => `  ${flag.padEnd(width)}${option.help}`);
      return `\nOptions of ${runtimes}:\n${lines.join("\n")}\n`;
    })
    .join("");
}

function runtimeList(): string {
  return runtimeNames
    .map((name) => {
      const info = runtimeCatalog[name];
      const ports = `REST ${info.httpPort}${info.grpcPort ? `, gRPC ${info.grpcPort}` : ""}`;
      return `  ${name.padEnd(18)}${info.displayName} (${ports})`;
    })
    .join("\n");
}

/**
 * The `servingkit mock --help` text: the host's options, then each module's. Built on demand from
 * every module (`loadRuntimeModules`): only help needs them all.
 */
export function mockHelp(runtimeModules: readonly RuntimeMockModule[]): string {
  return `Usage: servingkit mock <runtime> [options]
       servingkit mock all [--base-port B] [options]

Start a faithful mock of a serving runtime of the OpenShift AI single-model serving platform
(KServe), on the ports the platform runs it on, and serve until Ctrl-C (SIGINT) or SIGTERM.

Runtimes (platform ports):
${runtimeList()}
  all               every runtime at once, on distinct ports: runtime i of the list above gets
                    REST base+${portStride}*i and gRPC base+${portStride}*i+1 (base ${defaultBasePort}; 0 = any free ports)

Options:
  --http-port P       REST port (0 = any free port; default: the runtime's)
  --grpc-port Q       gRPC port (0 = any free port; default: the runtime's)
  --base-port B       first port of 'mock all' (default ${defaultBasePort})
  --host H            interface to listen on (default 0.0.0.0)
  --token T           accept bearer token T (repeatable); without any, no authorization
  --forbidden-token T token T authenticates but may not call the model: 403
                      (gRPC PERMISSION_DENIED), as when the SubjectAccessReview says no
  --auth-mode M       who refuses a missing/wrong token, as the platform deploys it:
                        serverless  Authorino via istio-envoy: 401, empty body,
                                    x-ext-auth-reason (default)
                        raw         kube-rbac-proxy: 401 text/plain "Unauthorized"
                      gRPC clients get UNAUTHENTICATED in both modes.
  --tls               HTTPS and gRPC over TLS with a self-signed certificate for localhost,
                      127.0.0.1 and ::1 (curl -k, grpcurl -insecure)
  --tls-cert F        serve this certificate (PEM file) instead; needs --tls-key
  --tls-key F         the certificate's private key (PEM file)
  --cert-out F        write the certificate clients should trust (PEM) to F
  --model M           serve model M (repeatable)
  --fault SPEC        inject a fault into a share of requests (repeatable), e.g.
                        --fault rate=0.1,status=503      10% answer 503 (gRPC: UNAVAILABLE)
                        --fault rate=0.05,grpc=ABORTED   5% fail with ABORTED (REST: 409)
                        --fault delay-ms=200             every request waits 200 ms
                        --fault rate=0.2,cut-after=3     20% of streams cut after 3 chunks
                      Keys: rate (0-1, default 1), status, grpc, delay-ms, cut-after, message.
                      Any request can also ask for one with the header (or gRPC metadata)
                      x-servingkit-fault: status=503 (same keys, without rate).
  --slow-start MS     answer "not ready" (readiness routes, gRPC health NOT_SERVING) for MS
                      milliseconds after start
  --log-level L       request log level: ${logLevels.join(", ")} (default info)
  -h, --help          show this help
${moduleOptionHelp(runtimeModules)}
Examples:
  servingkit mock triton --token secret --tls
  servingkit mock caikit-tgis --http-port 8080 --grpc-port 8085 --slow-start 5000
  servingkit mock all --base-port 18080
`;
}

/**
 * Reads the command line, loading only the families of the runtimes it names (a Triton mock
 * does not load vLLM's tokenizer and templates). Where that reading fails (a flag of another
 * family, no runtime named) it reads again with every module, so errors and results are those
 * of a reading with every module.
 */
export async function readMockPlan(
  args: readonly string[],
): Promise<{ plan: MockPlan; modules: readonly RuntimeMockModule[] }> {
  const named = namedRuntimes(args);
  if (named.length > 0) {
    const modules = await loadRuntimeModulesFor(named);
    try {
      return { plan: parseMockArgs(args, modules), modules };
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
    }
  }
  const modules = await loadRuntimeModules();
  return { plan: parseMockArgs(args, modules), modules };
}

/**
 * Why a mock could not start, in words a user can act on: a port in use names the runtime, the
 * port, which of its listeners and the flag that moves it; anything else is the error's message.
 */
export function startFailure(error: unknown, target: MockTarget | undefined): string {
  const { code, port, address, message } = error as NodeJS.ErrnoException & {
    port?: number;
    address?: string;
  };
  if (code !== "EADDRINUSE" || target === undefined) return message ?? String(error);
  const grpc = port !== undefined && port === target.grpcPort;
  const flag = grpc ? "--grpc-port Q" : "--http-port P";
  return `${target.runtime}: the ${grpc ? "gRPC" : "REST"} port ${port} on ${address} is already in use (EADDRINUSE); stop what listens there or choose another port with ${flag} (0 = any free port)`;
}

async function serve(
  plan: MockPlan,
  modules: readonly RuntimeMockModule[],
  io: CliIo,
): Promise<number> {
  const logger = createRequestLogger(plan.logLevel, io.stdout);
  // One certificate for every mock, so a client trusts them all with one PEM.
  const tls = plan.tls === true ? await selfSignedCertificate() : plan.tls;

  const started: RunningMock[] = [];
  try {
    for (const target of plan.targets) {
      const mock = await startRuntimeMock({
        values: plan.runtimeValues,
        runtime: target.runtime,
        host: plan.host,
        httpPort: target.httpPort,
        ...(target.grpcPort !== undefined ? { grpcPort: target.grpcPort } : {}),
        tokens: plan.tokens,
        forbiddenTokens: plan.forbiddenTokens,
        authMode: plan.authMode,
        tls: tls || false,
        models: plan.models,
        faults: { rules: plan.faults, slowStartMs: plan.slowStartMs },
        logger,
      });
      started.push(mock);
      // The certificate file exists before the first ready line, for scripts that wait for it.
      if (plan.certOut && started.length === 1 && mock.certificatePem) {
        await writeFile(plan.certOut, mock.certificatePem);
      }
      // The model ids clients must send, where the runtime's module names them.
      const module = modules.find((m) => m.runtimes.includes(target.runtime));
      const models = module?.defaultModels?.({
        runtime: target.runtime,
        models: plan.models,
        values: plan.runtimeValues,
      });
      io.stdout.write(`${readyLine({ ...mock, models })}\n`);
    }
  } catch (error) {
    io.stderr.write(`servingkit mock: ${startFailure(error, plan.targets[started.length])}\n`);
    await Promise.all(started.map((m) => m.close()));
    return exitCodes.failure;
  }
  if (started.length > 1) io.stdout.write(`\n${endpointTable(started)}\n`);

  if (!io.shutdown.aborted) {
    await new Promise<void>((resolve) =>
      io.shutdown.addEventListener("abort", () => resolve(), { once: true }),
    );
  }
  await Promise.all(started.map((m) => m.close()));
  return exitCodes.ok;
}

/** The `mock` command. */
export const mockCommand: Command = {
  name: "mock",
  summary: "start a mock runtime (or all of them) and serve until stopped",
  async run(args, io) {
    const { plan, modules } = await readMockPlan(args);
    if (plan.help) {
      io.stdout.write(mockHelp(await loadRuntimeModules()));
      return exitCodes.ok;
    }
    return serve(plan, modules, io);
  },
};
