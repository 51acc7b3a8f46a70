import type { RuntimeName } from "@servingkit/mock-core";
import type { KnownFailingEntry } from "./known-failing.js";

/**
 * How the platform puts token authorization in front of a runtime, which decides the shape of a
 * refusal (kserve-v2.md §5): `serverless` is Authorino behind Istio (401 with an empty body and
 * `x-ext-auth-reason`), `raw` is the kube-rbac-proxy sidecar of a RawDeployment (401 with
 * `text/plain` body `Unauthorized\n`).
 */
export type AuthMode = "serverless" | "raw";

/**
 * How the platform serves a target's models (kserve-v2.md §3.4, §5): `single-model` (KServe) puts
 * clients in front of the runtime itself; `modelmesh` (multi-model serving) puts ModelMesh in
 * between: its REST proxy (model metadata and infer only, `{code, message}` errors) and its gRPC
 * routing by model id. Cases say which they hold on (`ContractCase.deployments`).
 */
export type Deployment = "single-model" | "modelmesh";

/** The deployments, in the order messages list them. */
export const deployments: readonly Deployment[] = ["single-model", "modelmesh"];

/** The two ways a case reaches a runtime: its REST (HTTP/1.1 JSON) port or its gRPC port. */
export type TransportKind = "rest" | "grpc";

/**
 * TLS trust for a target. Live platform endpoints are HTTPS routes on :443 whose certificate is
 * often signed by a cluster CA, hence `caFile`; `insecure` skips verification like `curl -k`.
 */
export interface TargetTls {
  /** PEM file with the CA (or the self-signed certificate) to trust, besides the system roots. */
  readonly caFile?: string;
  /** The same as PEM text; what an in-process mock hands over. Wins over `caFile`. */
  readonly ca?: string;
  /** Skip certificate verification altogether. Default false. */
  readonly insecure?: boolean;
}

/**
 * One endpoint set the contract cases run against: a runtime with its REST base URL and/or gRPC
 * address, the token it accepts and how it authorizes. A target comes from the environment, a
 * targets file, or an in-process mock the runner starts.
 */
export interface Target {
  /** Unique name, `<group>:<runtime>` unless given (`live:triton`, `mock-tls:ovms`). */
  readonly name: string;
  /** The column set it is reported under in the conformance table (`mock`, `live`, ...). */
  readonly group: string;
  /** Which serving runtime answers there: decides which cases apply and what they expect. */
  readonly runtime: RuntimeName;
  /** REST base URL without a trailing path, e.g. `https://m-ns.apps.example.com`. */
  readonly rest?: string;
  /**
   * gRPC address: `https://host:443` for TLS, `http://host:port` or bare `host:port` for
   * plaintext HTTP/2 (h2c).
   */
  readonly grpc?: string;
  /** The bearer token the endpoint accepts (`Authorization: Bearer <token>`). */
  readonly token?: string;
  /** Set when the endpoint enforces token authorization; absent means it is open. */
  readonly authMode?: AuthMode;
  /** A model id served there, for cases that need one (model readiness). */
  readonly model?: string;
  /** How the platform serves the model there; default `single-model`. */
  readonly deployment?: Deployment;
  /** TLS trust for `https` URLs and TLS gRPC addresses. */
  readonly tls?: TargetTls;
  /**
   * Cases expected to fail on this target, each with a reason: entries, or the path of a
   * known-failing file (see {@link parseKnownFailing}).
   */
  readonly knownFailing?: readonly KnownFailingEntry[] | string;
  /**
   * When set, the target is a placeholder that is not configured: every case is reported as
   * skipped with this reason, never as passed.
   */
  readonly skipReason?: string;
}

/**
 * What a target offers beyond its runtime and transports; cases declare the features they need
 * and are skipped (with the missing feature named) where a target lacks one.
 * - `auth`: the endpoint enforces token authorization and the target knows the right token.
 * - `open`: the endpoint enforces no authorization.
 * - `tls`: the transport the case uses is TLS.
 * - `private-ca`: the target trusts a specific CA (so a client without it must be refused).
 * - `model`: the target names a served model.
 */
export type TargetFeature = "auth" | "open" | "tls" | "private-ca" | "model";

/** Whether a gRPC address asks for TLS: an `https://` scheme. */
export function grpcUsesTls(address: string): boolean {
  return /^https:\/\//i.test(address);
}

/** The address of a target's transport, or undefined when the target does not offer it. */
export function transportAddress(target: Target, transport: TransportKind): string | undefined {
  return transport === "rest" ? target.rest : target.grpc;
}

/** Whether the given transport of a target runs over TLS. */
export function transportUsesTls(target: Target, transport: TransportKind): boolean {
  const address = transportAddress(target, transport);
  if (address === undefined) return false;
  return transport === "rest" ? /^https:\/\//i.test(address) : grpcUsesTls(address);
}

/** The features a target offers on one of its transports. */
export function targetFeatures(target: Target, transport: TransportKind): Set<TargetFeature> {
  const features = new Set<TargetFeature>();
  if (target.authMode === undefined) features.add("open");
  else if (target.token !== undefined && target.token !== "") features.add("auth");
  if (transportUsesTls(target, transport)) {
    features.add("tls");
    if (target.tls?.ca !== undefined || target.tls?.caFile !== undefined)
      features.add("private-ca");
  }
  if (target.model !== undefined && target.model !== "") features.add("model");
  return features;
}
