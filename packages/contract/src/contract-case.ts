import type { Transport } from "@connectrpc/connect";
import type { RuntimeInfo, RuntimeName } from "@servingkit/mock-core";
import type { Deployment, Target, TargetFeature, TransportKind } from "./target.js";

/**
 * Which credential a request carries: the target's own token (`target`, the default; none when
 * the target is open), no `authorization` at all (`none`), or a given token (`{ value }`).
 */
export type TokenChoice = "target" | "none" | { readonly value: string };

/** What {@link CaseContext.rest} answers: the parts of an HTTP response cases assert on. */
export interface RestAnswer {
  /** HTTP status code. */
  readonly status: number;
  /** Response headers (case-insensitive lookup). */
  readonly headers: Headers;
  /** The whole body as text (UTF-8). */
  readonly body: string;
  /** The whole body as received, for binary answers (the KServe binary tensor extension). */
  readonly bytes: Uint8Array;
}

/** Options of {@link CaseContext.rest}. */
export interface RestRequest {
  /** Default `GET`, or `POST` when a body or `json` is given. */
  readonly method?: string;
  /** A JSON body: serialized, sent with `content-type: application/json`. */
  readonly json?: unknown;
  /** A raw body (text or bytes), for cases that test exact bytes; wins over `json`. */
  readonly body?: string | Uint8Array<ArrayBuffer>;
  /** Extra request headers (`content-type` of a raw body, protocol headers). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default `target`. */
  readonly token?: TokenChoice;
  /** `target` (default) trusts what the target says; `system` trusts only the system CAs. */
  readonly trust?: "target" | "system";
}

/** Options of {@link CaseContext.grpc}. */
export interface GrpcRequest {
  /** Default `target`. */
  readonly token?: TokenChoice;
  /** `target` (default) trusts what the target says; `system` trusts only the system CAs. */
  readonly trust?: "target" | "system";
}

/**
 * What a case gets to work with: the target, the runtime's catalog entry (the facts the mocks
 * are built from, so a live run checks them), and real clients bound to the target: `fetch`
 * through `@servingkit/client-core` for REST, a connect gRPC transport for gRPC.
 */
export interface CaseContext {
  /** The target the case runs against. */
  readonly target: Target;
  /** The runtime's catalog entry from `@servingkit/mock-core`: routes, replies, gRPC services. */
  readonly runtime: RuntimeInfo;
  /** Aborted when the case times out; pass it on to anything long. */
  readonly signal: AbortSignal;
  /** One raw HTTP request to the target's REST URL; any status, no retries. */
  rest(path: string, request?: RestRequest): Promise<RestAnswer>;
  /** A gRPC transport to the target's gRPC address, with the chosen credential. */
  grpc(request?: GrpcRequest): Transport;
  /** Ends the case as skipped with a reason (never counted as passed). */
  skip(reason: string): never;
}

/**
 * One contract case: data (id, runtimes, transport, needed features, the fact it checks) plus a
 * small function that asserts properties which hold on a real cluster as well as on a mock. A
 * case throws (`node:assert`) to fail; it returns to pass.
 */
export interface ContractCase {
  /** `<concern>/<case>`, kebab-case; the full name prefixes the runtime: `triton/health/rest-live`. */
  readonly id: string;
  /** One line saying what is checked. */
  readonly title: string;
  /** The fact it pins: a reference section, an upstream file, a seed. */
  readonly source: string;
  /** The runtimes it applies to. */
  readonly runtimes: readonly RuntimeName[];
  /** The transport it uses; targets without it skip the case. */
  readonly transport: TransportKind;
  /** Target features it needs; targets lacking one skip the case, naming it. */
  readonly needs?: readonly TargetFeature[];
  /**
   * The deployments it holds on; a target of another skips the case. Default `["single-model"]`:
   * behind ModelMesh only what its proxy and routing serve is the same (kserve-v2.md §3.4).
   */
  readonly deployments?: readonly Deployment[];
  /** The check itself. */
  run(context: CaseContext): Promise<void>;
}

/** Thrown by {@link CaseContext.skip}; the runner reports the case as skipped. */
export class CaseSkipped extends Error {
  override readonly name = "CaseSkipped";
}

const segment = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Declares a case, checking its id: two kebab-case segments, `<concern>/<case>`, so full names
 * stay glob-able as `<runtime>/<concern>/<case>`.
 */
export function defineCase(definition: ContractCase): ContractCase {
  const parts = definition.id.split("/");
  if (parts.length !== 2 || !parts.every((part) => segment.test(part))) {
    throw new TypeError(`case id "${definition.id}" must be "<concern>/<case>" in kebab-case`);
  }
  if (definition.runtimes.length === 0) {
    throw new TypeError(`case "${definition.id}" applies to no runtime`);
  }
  return definition;
}

/** The full, glob-able name of a case on a runtime: `<runtime>/<concern>/<case>`. */
export function caseName(runtime: RuntimeName, contractCase: ContractCase): string {
  return `${runtime}/${contractCase.id}`;
}
