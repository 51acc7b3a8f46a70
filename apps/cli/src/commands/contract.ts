/**
 * `servingkit contract`: runs the contract suite against a live endpoint (from flags, a targets
 * file or the environment) and/or against in-process mocks, prints the conformance table and
 * optionally writes JUnit XML. All the work is `@servingkit/contract`'s; this file only reads the
 * command line.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  formatConformanceTable,
  loadTargets,
  readTargetsFile,
  resolveTargetConfig,
  runContract,
  type Target,
  TargetConfigError,
  toJUnitXml,
} from "@servingkit/contract";
import { runtimeNames } from "@servingkit/mock-core/host";
import { type CliIo, exitCodes, UsageError } from "../cli-io.js";
import type { Command } from "../command.js";

const help = `Usage: servingkit contract [target] [options]

Runs the contract cases against a live endpoint of a cluster and/or against in-process mocks,
prints a conformance table (runtime x case: pass, fail, skip, known-fail) and exits 1 when a case
fails or a known-failing case passes.

Target (one of):
  --runtime R --url U     one live endpoint: R is ${runtimeNames.join(", ")};
                          U the REST base URL (the model's inference endpoint)
    --grpc A              its gRPC address (host:port for h2c, https://host:443 for TLS)
    --token T             the bearer token it accepts (token authorization)
    --auth-mode M         serverless (Authorino, the default with a token), raw (kube-rbac-proxy)
                          or none
    --model M             a model id served there
    --ca-file F           PEM file of the CA to trust (the cluster's ingress CA)
    --insecure            skip TLS verification, like curl -k
    --known-failing F     file of 'glob # reason' lines expected to fail on this target
    --deployment D        single-model (default) or modelmesh: the endpoint is ModelMesh's REST
                          proxy / gRPC model id routing (ovms, triton, mlserver)
  --targets FILE          targets from a YAML or JSON file (see @servingkit/contract's README)
  (none)                  targets from the environment: SERVINGKIT_<RUNTIME>_URL, _GRPC, _TOKEN,
                          ... or SERVINGKIT_TARGETS_FILE; unconfigured runtimes are reported as
                          skipped, never as passed

Options:
  --mocks                 also run against in-process mocks of every runtime, and of the three
                          ModelMesh serves as it serves them (group mock-modelmesh)
  --include GLOB          run only cases whose name matches (repeatable), e.g. 'triton/health/*'
  --exclude GLOB          leave out cases whose name matches (repeatable)
  --junit FILE            write JUnit XML to FILE
  --format F              table format: text (default) or markdown
  --timeout MS            longest one case may take (default 10000)
  -h, --help              show this help

Examples:
  servingkit contract --mocks
  servingkit contract --runtime triton --url https://m-ns.apps.example.com --token "$TOKEN"
  servingkit contract --targets cluster.yaml --junit reports/contract.xml
`;

const options = {
  runtime: { type: "string" },
  url: { type: "string" },
  grpc: { type: "string" },
  token: { type: "string" },
  "auth-mode": { type: "string" },
  model: { type: "string" },
  "ca-file": { type: "string" },
  insecure: { type: "boolean" },
  "known-failing": { type: "string" },
  deployment: { type: "string" },
  targets: { type: "string" },
  mocks: { type: "boolean" },
  include: { type: "string", multiple: true },
  exclude: { type: "string", multiple: true },
  junit: { type: "string" },
  format: { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; strict: true }>>["values"];

/** The live targets the command line names: flags, a targets file, or the environment. */
async function liveTargets(values: Values): Promise<Target[]> {
  const flagTarget =
    values.runtime !== undefined ||
    values.url !== undefined ||
    values.grpc !== undefined ||
    values.deployment !== undefined;
  if (flagTarget && values.targets !== undefined) {
    throw new UsageError("give either --runtime/--url or --targets, not both");
  }
  if (flagTarget) {
    if (values.runtime === undefined) throw new UsageError("--url and --grpc need --runtime");
    return [
      resolveTargetConfig(
        {
          runtime: values.runtime,
          ...(values.url !== undefined && { rest: values.url }),
          ...(values.grpc !== undefined && { grpc: values.grpc }),
          ...(values.token !== undefined && { token: values.token }),
          ...(values["auth-mode"] !== undefined && { authMode: values["auth-mode"] }),
          ...(values.model !== undefined && { model: values.model }),
          ...(values["ca-file"] !== undefined && { caFile: values["ca-file"] }),
          ...(values.insecure !== undefined && { insecure: values.insecure }),
          ...(values["known-failing"] !== undefined && { knownFailing: values["known-failing"] }),
          ...(values.deployment !== undefined && { deployment: values.deployment }),
        },
        { where: "command line", baseDir: process.cwd(), env: process.env },
      ),
    ];
  }
  if (values.targets !== undefined) return readTargetsFile(values.targets);
  // With --mocks and nothing else, the mocks are the whole run.
  if (values.mocks) return [];
  return loadTargets();
}

function timeoutMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) === 0) {
    throw new UsageError(`--timeout '${text}' is not a positive number of milliseconds`);
  }
  return Number(text);
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    io.stdout.write(help);
    return exitCodes.ok;
  }
  const format = values.format ?? "text";
  if (format !== "text" && format !== "markdown") {
    throw new UsageError(`--format '${format}' is not text or markdown`);
  }
  const caseTimeoutMs = timeoutMs(values.timeout);
  let targets: Target[];
  try {
    targets = await liveTargets(values);
  } catch (error) {
    if (error instanceof TargetConfigError) throw new UsageError(error.message);
    throw error;
  }
  const report = await runContract({
    targets,
    ...(values.mocks && { mocks: [{}, { group: "mock-modelmesh", deployment: "modelmesh" }] }),
    ...(values.include && { include: values.include }),
    ...(values.exclude && { exclude: values.exclude }),
    ...(caseTimeoutMs !== undefined && { caseTimeoutMs }),
  });
  io.stdout.write(formatConformanceTable(report, { format, details: true }));
  if (values.junit !== undefined) {
    await writeFile(values.junit, toJUnitXml(report));
    io.stdout.write(`JUnit XML written to ${values.junit}\n`);
  }
  return report.ok ? exitCodes.ok : exitCodes.failure;
}

/** `servingkit contract`: the contract suite from the command line. */
export const contractCommand: Command = {
  name: "contract",
  summary: "run the contract suite against a live endpoint or the mocks",
  help,
  run,
};
