import { readFile } from "node:fs/promises";
import type { Transport } from "@connectrpc/connect";
import {
  createGrpcTransport,
  createHttpClient,
  type HttpClient,
  type TlsOptions,
} from "@servingkit/client-core";
import type { RuntimeInfo } from "@servingkit/mock-core";
import {
  type CaseContext,
  CaseSkipped,
  type GrpcRequest,
  type RestRequest,
  type TokenChoice,
} from "./contract-case.js";
import type { Target } from "./target.js";

/** A {@link CaseContext} plus the release of what it opened. */
export interface CaseContextHandle extends CaseContext {
  /** Closes the HTTP clients the case used. */
  close(): Promise<void>;
}

/**
 * Builds the context a case runs with: REST through `@servingkit/client-core`'s raw `fetch`
 * (any status, no retries) and gRPC through its connect transport with retries off, so every
 * case sees exactly what one request gets. `trust: "system"` leaves the target's CA out, for
 * the cases that check a private CA is needed.
 *
 * @param timeoutMs limit of each request, so a silent server fails the case instead of hanging
 */
export function createCaseContext(
  target: Target,
  runtime: RuntimeInfo,
  signal: AbortSignal,
  timeoutMs: number,
): CaseContextHandle {
  const clients = new Map<string, Promise<HttpClient>>();
  let caPem: Promise<string | undefined> | undefined;
  const targetCa = () => {
    caPem ??=
      target.tls?.ca !== undefined
        ? Promise.resolve(target.tls.ca)
        : target.tls?.caFile !== undefined
          ? readFile(target.tls.caFile, "utf8")
          : Promise.resolve(undefined);
    return caPem;
  };
  const tlsOptions = async (trust: "target" | "system"): Promise<TlsOptions | undefined> => {
    if (trust === "system") return undefined;
    const ca = await targetCa();
    const insecure = target.tls?.insecure === true;
    if (ca === undefined && !insecure) return undefined;
    return { ...(ca !== undefined && { ca }), ...(insecure && { insecure }) };
  };
  const httpClient = (trust: "target" | "system"): Promise<HttpClient> => {
    let client = clients.get(trust);
    if (client === undefined) {
      client = tlsOptions(trust).then((tls) =>
        createHttpClient({
          baseUrl: target.rest ?? "",
          maxRetries: 0,
          timeoutMs,
          ...(tls !== undefined && { tls }),
        }),
      );
      clients.set(trust, client);
    }
    return client;
  };
  // gRPC transports are built synchronously, so the CA must be known up front: a `caFile` is
  // read by `loadTlsMaterial` inside client-core.
  const grpcTls = (trust: "target" | "system"): TlsOptions | boolean | undefined => {
    if (target.grpc === undefined || !/^https:\/\//i.test(target.grpc)) return undefined;
    if (trust === "system") return true;
    const { ca, caFile, insecure } = target.tls ?? {};
    const options: TlsOptions = {
      ...(ca !== undefined ? { ca } : caFile !== undefined ? { caFile } : {}),
      ...(insecure === true && { insecure }),
    };
    return Object.keys(options).length > 0 ? options : true;
  };
  return {
    target,
    runtime,
    signal,
    async rest(path: string, request: RestRequest = {}) {
      const client = await httpClient(request.trust ?? "target");
      const authorization = authorizationFor(target, request.token ?? "target");
      const body =
        request.body ?? (request.json === undefined ? undefined : JSON.stringify(request.json));
      const headers: Record<string, string> = {
        ...(request.json !== undefined && request.body === undefined
          ? { "content-type": "application/json" }
          : {}),
        ...request.headers,
        ...(authorization === undefined ? {} : { authorization }),
      };
      const response = await client.fetch(path, {
        method: request.method ?? (body === undefined ? "GET" : "POST"),
        signal,
        headers,
        ...(body !== undefined && { body }),
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return {
        status: response.status,
        headers: response.headers,
        body: new TextDecoder().decode(bytes),
        bytes,
      };
    },
    grpc(request: GrpcRequest = {}): Transport {
      const authorization = authorizationFor(target, request.token ?? "target");
      const tls = grpcTls(request.trust ?? "target");
      return createGrpcTransport({
        address: target.grpc ?? "",
        maxRetries: 0,
        timeoutMs,
        ...(tls !== undefined && { tls }),
        ...(authorization !== undefined && { metadata: { authorization } }),
      });
    },
    skip(reason: string): never {
      throw new CaseSkipped(reason);
    },
    async close() {
      const opened = await Promise.allSettled(clients.values());
      await Promise.all(
        opened.map((outcome) =>
          outcome.status === "fulfilled" ? outcome.value.close() : undefined,
        ),
      );
    },
  };
}

/** The `authorization` value a token choice sends, or undefined for none. */
function authorizationFor(target: Target, choice: TokenChoice): string | undefined {
  if (choice === "none") return undefined;
  if (choice === "target") return target.token ? `Bearer ${target.token}` : undefined;
  return `Bearer ${choice.value}`;
}
