/**
 * The gRPC port as an independent client sees it: @grpc/grpc-js with @grpc/proto-loader loading
 * the repository's health.proto, against a listening mock.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";
import { type MockOptions, type RunningMock, startMock } from "./mock.js";

const healthProto = fileURLToPath(
  new URL("../../../proto/grpc/health/v1/health.proto", import.meta.url),
);
const definition = protoLoader.loadSync(healthProto, { keepCase: true, enums: String });
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
const HealthClient = loaded.grpc.health.v1.Health;

interface CheckReply {
  status: string;
}
type GrpcError = grpc.ServiceError;

const running: RunningMock[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(running.splice(0).map((m) => m.close()));
});

async function start(options: Partial<MockOptions> & Pick<MockOptions, "runtime">) {
  const mock = await startMock({ host: "127.0.0.1", httpPort: 0, grpcPort: 0, ...options });
  running.push(mock);
  return mock;
}

function client(mock: RunningMock, credentials = grpc.credentials.createInsecure()) {
  const c = new HealthClient(mock.endpoints.grpc as string, credentials);
  clients.push(c);
  return c;
}

function metadata(entries: Record<string, string> = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
}

function check(
  c: grpc.Client,
  md: grpc.Metadata = new grpc.Metadata(),
  service = "",
): Promise<CheckReply> {
  return new Promise((resolve, reject) => {
    (c as unknown as Record<string, (...a: unknown[]) => void>).Check?.(
      { service },
      md,
      (err: GrpcError | null, reply: CheckReply) => (err ? reject(err) : resolve(reply)),
    );
  });
}

function watch(c: grpc.Client, md: grpc.Metadata = new grpc.Metadata()) {
  return (
    c as unknown as Record<string, (...a: unknown[]) => grpc.ClientReadableStream<CheckReply>>
  ).Watch?.({ service: "" }, md) as grpc.ClientReadableStream<CheckReply>;
}

/** Collects a server stream: the messages and how it ended. */
function collect(
  stream: grpc.ClientReadableStream<CheckReply>,
  onMessage?: (m: CheckReply, all: CheckReply[]) => void,
): Promise<{ messages: CheckReply[]; error?: GrpcError; status?: grpc.StatusObject }> {
  const messages: CheckReply[] = [];
  return new Promise((resolve) => {
    let error: GrpcError | undefined;
    stream.on("data", (m: CheckReply) => {
      messages.push(m);
      onMessage?.(m, messages);
    });
    stream.on("error", (e: GrpcError) => {
      error = e;
    });
    stream.on("status", (status: grpc.StatusObject) => {
      // "status" comes last; "error" (if any) comes before it.
      setImmediate(() => resolve({ messages, ...(error ? { error } : {}), status }));
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<GrpcError> {
  try {
    await promise;
  } catch (error) {
    return error as GrpcError;
  }
  throw new Error("expected the call to fail");
}

describe("gRPC health through grpc-js", () => {
  it("answers Check SERVING without auth or TLS", async () => {
    // kserve-v2.md §4.1: Triton serves grpc.health.v1.Health.
    const mock = await start({ runtime: "triton" });
    expect(mock.endpoints.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    await expect(check(client(mock))).resolves.toEqual({ status: "SERVING" });
  });

  it("answers an unknown service name with NOT_FOUND", async () => {
    // gRPC doc/health-checking.md: Check of an unknown service → NOT_FOUND.
    const mock = await start({ runtime: "caikit-tgis" });
    const error = await rejection(check(client(mock), undefined, "no.such.Service"));
    expect(error.code).toBe(grpc.status.NOT_FOUND);
  });

  it("serves health over TLS to a client that trusts the certificate", async () => {
    const mock = await start({ runtime: "caikit-standalone", tls: true });
    expect(mock.certificatePem).toContain("BEGIN CERTIFICATE");
    const creds = grpc.credentials.createSsl(Buffer.from(mock.certificatePem as string));
    await expect(check(client(mock, creds))).resolves.toEqual({ status: "SERVING" });
  });

  it("refuses a TLS client that does not trust the certificate", async () => {
    const mock = await start({ runtime: "triton", tls: true });
    const error = await rejection(check(client(mock, grpc.credentials.createSsl())));
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
  });

  it("does not serve health for TGIS: UNIMPLEMENTED", async () => {
    // caikit-tgis.md §3: TGIS registers only GenerationService (no health, no reflection).
    const mock = await start({ runtime: "tgis" });
    const error = await rejection(check(client(mock)));
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("answers an unknown method with UNIMPLEMENTED in the runtime's words", async () => {
    // grpc/grpc src/python/grpcio/grpc/_server.py `_handle_unrecognized_method`: Python servers
    // (Caikit) say "Method not found!".
    const mock = await start({ runtime: "caikit-tgis" });
    const c = new grpc.Client(mock.endpoints.grpc as string, grpc.credentials.createInsecure());
    clients.push(c);
    const error = await rejection(
      new Promise((resolve, reject) =>
        c.makeUnaryRequest(
          "/caikit.runtime.Nlp.NlpService/NoSuchMethod",
          (x: Buffer) => x,
          (x: Buffer) => x,
          Buffer.alloc(0),
          (err, value) => (err ? reject(err) : resolve(value)),
        ),
      ),
    );
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(error.details).toBe("Method not found!");
  });
});

describe("gRPC token authorization", () => {
  it("serverless: missing token → trailers-only UNAUTHENTICATED with envoy's headers", async () => {
    // envoyproxy/envoy source/common/http/utility.cc sendLocalReply: a local reply to a gRPC
    // request is trailers-only, grpc-status from httpToGrpcStatus(401) = UNAUTHENTICATED
    // (source/common/grpc/status.cc), no grpc-message for Authorino's empty body; ext_authz adds
    // its headers (kserve-v2.md §5).
    const mock = await start({ runtime: "triton", tokens: ["secret"] });
    const error = await rejection(check(client(mock)));
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toBe("");
    expect(error.metadata.get("x-ext-auth-reason")).toEqual(["credential not found"]);
    expect(error.metadata.get("www-authenticate")).toEqual(['Bearer realm="kubernetes-user"']);
    expect(error.metadata.get("server")).toEqual(["istio-envoy"]);
  });

  it("serverless: wrong token → UNAUTHENTICATED 'not authenticated'", async () => {
    const mock = await start({ runtime: "triton", tokens: ["secret"] });
    const error = await rejection(check(client(mock), metadata({ authorization: "Bearer nope" })));
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.metadata.get("x-ext-auth-reason")).toEqual(["not authenticated"]);
  });

  it("serverless: right token → SERVING, over TLS too", async () => {
    const mock = await start({ runtime: "triton", tokens: ["a", "secret"], tls: true });
    const creds = grpc.credentials.createSsl(Buffer.from(mock.certificatePem as string));
    const md = metadata({ authorization: "Bearer secret" });
    await expect(check(client(mock, creds), md)).resolves.toEqual({ status: "SERVING" });
  });

  it("raw: kube-rbac-proxy's plain 401 reaches grpc-js as UNAUTHENTICATED from the HTTP status", async () => {
    // kube-rbac-proxy pkg/filters/auth.go: http.Error(w, "Unauthorized", 401); gRPC
    // doc/http-grpc-status-mapping.md: a client maps HTTP 401 to UNAUTHENTICATED.
    const mock = await start({ runtime: "caikit-tgis", tokens: ["secret"], authMode: "raw" });
    const error = await rejection(check(client(mock), metadata({ authorization: "Bearer x" })));
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toContain("401");
  });

  it("raw: right token (scheme in any case) → SERVING", async () => {
    // Kubernetes bearer-token authenticator: the scheme is compared case-insensitively.
    const mock = await start({ runtime: "caikit-tgis", tokens: ["secret"], authMode: "raw" });
    const md = metadata({ authorization: "bearer secret" });
    await expect(check(client(mock), md)).resolves.toEqual({ status: "SERVING" });
  });
});

describe("gRPC authorization denied (authenticated, SubjectAccessReview says no)", () => {
  it("serverless: trailers-only PERMISSION_DENIED with 'not authorized: ...'", async () => {
    // envoy httpToGrpcStatus(403) = PERMISSION_DENIED; kserve-v2.md §5 for the reason text.
    const mock = await start({ runtime: "triton", tokens: ["ok"], forbiddenTokens: ["nope"] });
    const error = await rejection(check(client(mock), metadata({ authorization: "Bearer nope" })));
    expect(error.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(error.metadata.get("x-ext-auth-reason")).toEqual(["not authorized: unknown reason"]);
  });

  it("raw: kube-rbac-proxy's HTTP 403 reaches grpc-js as PERMISSION_DENIED", async () => {
    const mock = await start({
      runtime: "caikit-tgis",
      tokens: ["ok"],
      forbiddenTokens: ["nope"],
      authMode: "raw",
    });
    const error = await rejection(check(client(mock), metadata({ authorization: "Bearer nope" })));
    expect(error.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(error.details).toContain("403");
  });
});

describe("gRPC faults", () => {
  it("grpc=UNAVAILABLE in metadata fails the call with that code and message", async () => {
    const mock = await start({ runtime: "triton" });
    const md = metadata({ "x-servingkit-fault": "grpc=UNAVAILABLE,message=try%20later" });
    const error = await rejection(check(client(mock), md));
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
    expect(error.details).toBe("try later");
  });

  it("status messages reach grpc-js as gRPC servers encode them (PROTOCOL-HTTP2.md Status-Message)", async () => {
    // grpc core leaves printable ASCII but % unencoded; grpc-js decodes with decodeURI, so a
    // message with =, /, :, ; and % arrives intact only when it is encoded the way grpc core does.
    const mock = await start({ runtime: "triton" });
    const text = "model 'a/b': x=1; 100% é";
    const fault = `grpc=INVALID_ARGUMENT,message=${encodeURIComponent(text).replace(/,/g, "%2C")}`;
    const error = await rejection(check(client(mock), metadata({ "x-servingkit-fault": fault })));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe(text);
  });

  it("status=429 fails a gRPC call with the code envoy maps it to (UNAVAILABLE)", async () => {
    // envoy source/common/grpc/status.cc httpToGrpcStatus: 429 → UNAVAILABLE.
    const mock = await start({ runtime: "triton" });
    const error = await rejection(
      check(client(mock), metadata({ "x-servingkit-fault": "status=429" })),
    );
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
  });

  it("a malformed fault is INVALID_ARGUMENT naming the problem", async () => {
    const mock = await start({ runtime: "triton" });
    const error = await rejection(
      check(client(mock), metadata({ "x-servingkit-fault": "bogus=1" })),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain("unknown key 'bogus'");
  });

  it("delay-ms holds the answer on the injected clock", async () => {
    const clock = new ManualClock();
    const mock = await start({ runtime: "triton", clock });
    let settled = false;
    const pending = check(client(mock), metadata({ "x-servingkit-fault": "delay-ms=250" })).finally(
      () => {
        settled = true;
      },
    );
    while (clock.pendingSleeps === 0) await new Promise((r) => setTimeout(r, 5));
    await clock.advance(249);
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(pending).resolves.toEqual({ status: "SERVING" });
  });

  it("cut-after=1 resets a Watch stream after one message", async () => {
    const mock = await start({ runtime: "triton" });
    const result = await collect(
      watch(client(mock), metadata({ "x-servingkit-fault": "cut-after=1" })),
    );
    expect(result.messages).toEqual([{ status: "SERVING" }]);
    // An HTTP/2 stream reset: grpc-js reports "Received RST_STREAM with code 2" as INTERNAL.
    expect(result.error?.code).toBe(grpc.status.INTERNAL);
  });

  it("cut-after with a grpc code ends the stream with that status instead", async () => {
    const mock = await start({ runtime: "triton" });
    const md = metadata({ "x-servingkit-fault": "cut-after=1,grpc=ABORTED" });
    const result = await collect(watch(client(mock), md));
    expect(result.messages).toHaveLength(1);
    expect(result.error?.code).toBe(grpc.status.ABORTED);
  });

  it("configured rates pick faults by the injected random source", async () => {
    const draws = [0.05, 0.5];
    const mock = await start({
      runtime: "triton",
      faults: { rules: [{ rate: 0.1, fault: { grpcCode: 8 } }], random: () => draws.shift() ?? 1 },
    });
    const c = client(mock);
    expect((await rejection(check(c))).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    await expect(check(c)).resolves.toEqual({ status: "SERVING" });
  });
});

describe("gRPC readiness, slow start and shutdown", () => {
  it("slow start: NOT_SERVING until the delay has passed, and Watch sees the change", async () => {
    const clock = new ManualClock();
    const mock = await start({ runtime: "caikit-tgis", clock, faults: { slowStartMs: 1000 } });
    const c = client(mock);
    await expect(check(c)).resolves.toEqual({ status: "NOT_SERVING" });
    const stream = watch(c);
    const seen = collect(stream, (_m, all) => {
      if (all.length === 2) stream.cancel();
    });
    await new Promise((r) => setTimeout(r, 50));
    await clock.advance(1000);
    expect((await seen).messages).toEqual([{ status: "NOT_SERVING" }, { status: "SERVING" }]);
    await expect(check(c)).resolves.toEqual({ status: "SERVING" });
  });

  it("graceful shutdown ends an open Watch stream cleanly (NOT_SERVING, then OK)", async () => {
    const mock = await start({ runtime: "triton" });
    const c = client(mock);
    let closing: Promise<void> | undefined;
    const result = collect(watch(c), (_m, all) => {
      if (all.length === 1) closing = mock.close();
    });
    const { messages, error, status } = await result;
    expect(messages).toEqual([{ status: "SERVING" }, { status: "NOT_SERVING" }]);
    expect(error).toBeUndefined();
    expect(status?.code).toBe(grpc.status.OK);
    await closing;
  });
});
