import { create } from "@bufbuild/protobuf";
import { ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@servingkit/proto/health";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { createGrpcClient } from "./grpc-client.js";
import { createGrpcTransport, type GrpcClientOptions, grpcTarget } from "./grpc-transport.js";
import { ServingkitError } from "./servingkit-error.js";
import { startGrpcServer, type TestGrpcServer } from "./testdata/grpc-server.js";
import { closedPort, recordingSleep } from "./testdata/http-server.js";

const SERVING = HealthCheckResponse_ServingStatus.SERVING;
const NOT_SERVING = HealthCheckResponse_ServingStatus.NOT_SERVING;
const response = (status: HealthCheckResponse_ServingStatus): HealthCheckResponse =>
  create(HealthCheckResponseSchema, { status });

type Check = (
  request: HealthCheckRequest,
  context: HandlerContext,
  hit: number,
) => Promise<HealthCheckResponse>;
type Watch = (
  request: HealthCheckRequest,
  context: HandlerContext,
  hit: number,
) => AsyncIterable<HealthCheckResponse>;

let server: TestGrpcServer;
let check: Check;
let watch: Watch;
let hits = 0;
let headers: Headers[] = [];
let watchSignals: AbortSignal[] = [];

beforeAll(async () => {
  server = await startGrpcServer({
    check: (request, context) => {
      hits++;
      headers.push(context.requestHeader);
      return check(request, context, hits);
    },
    watch: (request, context) => {
      hits++;
      headers.push(context.requestHeader);
      watchSignals.push(context.signal);
      return watch(request, context, hits);
    },
  });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  hits = 0;
  headers = [];
  watchSignals = [];
  check = async () => response(SERVING);
  watch = async function* () {
    yield response(SERVING);
  };
});

function client(overrides: Partial<GrpcClientOptions> = {}) {
  const recorder = recordingSleep();
  const transport = createGrpcTransport({
    address: server.address,
    sleep: recorder.sleep,
    random: () => 0,
    ...overrides,
  });
  return Object.assign(createGrpcClient(Health, transport), { delays: recorder.delays });
}

async function caught(promise: Promise<unknown>): Promise<ServingkitError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ServingkitError);
    return error as ServingkitError;
  }
  throw new Error("expected a rejection");
}

async function statuses(stream: AsyncIterable<HealthCheckResponse>): Promise<number[]> {
  const seen: number[] = [];
  for await (const item of stream) {
    seen.push(item.status);
  }
  return seen;
}

const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => reject(new ConnectError("gone", Code.Canceled)));
  });

describe("unary calls", () => {
  it("calls the service over plaintext h2c", async () => {
    const result = await client().check({ service: "" });
    expect(result.status).toBe(SERVING);
    expect(hits).toBe(1);
  });

  it("sends the bearer token and default metadata; call headers override metadata", async () => {
    const api = client({ token: "s3cret", metadata: { "mm-model-id": "flan-t5", "x-team": "a" } });
    await api.check({});
    await api.check({}, { headers: { "mm-model-id": "other-model" } });
    expect(headers[0]?.get("authorization")).toBe("Bearer s3cret");
    // caikit-tgis.md §1.8: gRPC carries the model id only in the mm-model-id metadata key.
    expect(headers[0]?.get("mm-model-id")).toBe("flan-t5");
    expect(headers[1]?.get("mm-model-id")).toBe("other-model");
    expect(headers[1]?.get("x-team")).toBe("a");
  });

  it("reports a token that cannot be metadata as INVALID_ARGUMENT, sending nothing", async () => {
    const error = await caught(client({ token: "abc\nx" }).check({}));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(hits).toBe(0);
  });

  it("asks a token function before every attempt", async () => {
    check = async (_request, _context, hit) => {
      if (hit === 1) {
        throw new ConnectError("warming up", Code.Unavailable);
      }
      return response(SERVING);
    };
    let calls = 0;
    await client({ token: async () => `t${++calls}` }).check({});
    expect(headers.map((header) => header.get("authorization"))).toEqual([
      "Bearer t1",
      "Bearer t2",
    ]);
  });

  it.each([Code.Unavailable, Code.ResourceExhausted])(
    "retries code %i and then succeeds",
    async (code) => {
      check = async (_request, _context, hit) => {
        if (hit === 1) {
          throw new ConnectError("try again", code);
        }
        return response(SERVING);
      };
      const api = client();
      expect((await api.check({})).status).toBe(SERVING);
      expect(hits).toBe(2);
      expect(api.delays).toEqual([500]);
    },
  );

  it.each([Code.InvalidArgument, Code.NotFound, Code.Internal, Code.Unauthenticated])(
    "does not retry code %i, and keeps it as grpcCode",
    async (code) => {
      check = async () => {
        throw new ConnectError("no", code);
      };
      const api = client();
      const error = await caught(api.check({}));
      expect(hits).toBe(1);
      expect(error.code).toBe(code);
      expect(error.grpcCode).toBe(code);
      expect(error.httpStatus).toBeUndefined();
      expect(error.rawMessage).toBe("no");
      expect(api.delays).toEqual([]);
    },
  );

  it("makes 1 + maxRetries attempts, and carries the trailers as metadata", async () => {
    check = async () => {
      throw new ConnectError("down", Code.Unavailable, { "x-reason": "maintenance" });
    };
    const api = client({ maxRetries: 3 });
    const error = await caught(api.check({}));
    expect(hits).toBe(4);
    expect(api.delays).toEqual([500, 1000, 2000]);
    expect(error.metadata.get("x-reason")).toBe("maintenance");
  });

  it("retries a refused connection as UNAVAILABLE", async () => {
    const port = await closedPort();
    const api = client({ address: `127.0.0.1:${port}` });
    const error = await caught(api.check({}));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.grpcCode).toBeUndefined();
    expect(api.delays).toHaveLength(2);
  });

  it("limits each attempt and retries a timed-out one", async () => {
    check = async (_request, context) => untilAborted(context.signal);
    const api = client({ timeoutMs: 50, maxRetries: 1 });
    const error = await caught(api.check({}));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(hits).toBe(2);
    expect(headers[0]?.get("grpc-timeout")).toMatch(/^\d+m$/);
  });

  it("a caller abort is CANCELED and never retried", async () => {
    check = async (_request, context) => untilAborted(context.signal);
    const controller = new AbortController();
    const api = client();
    const pending = api.check({}, { signal: controller.signal });
    await waitFor(() => hits === 1);
    controller.abort();
    const error = await caught(pending);
    expect(error.code).toBe(Code.Canceled);
    expect(api.delays).toEqual([]);
    expect(hits).toBe(1);
    expect((await caught(api.check({}, { signal: AbortSignal.abort() }))).code).toBe(Code.Canceled);
  });
});

describe("server-streaming calls", () => {
  it("delivers every message as an AsyncIterable", async () => {
    watch = async function* () {
      yield response(NOT_SERVING);
      yield response(SERVING);
    };
    expect(await statuses(client().watch({}))).toEqual([NOT_SERVING, SERVING]);
  });

  it("retries a failure before the first message", async () => {
    watch = async function* (_request, _context, hit) {
      if (hit === 1) {
        throw new ConnectError("warming up", Code.Unavailable);
      }
      yield response(SERVING);
    };
    const api = client();
    expect(await statuses(api.watch({}))).toEqual([SERVING]);
    expect(hits).toBe(2);
  });

  it("never retries after the first message", async () => {
    watch = async function* () {
      yield response(SERVING);
      throw new ConnectError("lost it", Code.Unavailable);
    };
    const received: number[] = [];
    const error = await caught(
      (async () => {
        for await (const item of client().watch({})) {
          received.push(item.status);
        }
      })(),
    );
    expect(received).toEqual([SERVING]);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.grpcCode).toBe(Code.Unavailable);
    expect(hits).toBe(1);
  });

  it("does not retry INVALID_ARGUMENT before the first message", async () => {
    watch = async function* () {
      yield* [];
      throw new ConnectError("bad service name", Code.InvalidArgument);
    };
    const error = await caught(statuses(client().watch({})));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(hits).toBe(1);
  });

  it("`break` cancels the call: the server's handler sees its signal abort", async () => {
    watch = async function* (_request, context) {
      for (let index = 0; index < 500 && !context.signal.aborted; index++) {
        yield response(SERVING);
        await sleepMs(10);
      }
    };
    for await (const item of client().watch({})) {
      expect(item.status).toBe(SERVING);
      break;
    }
    await waitFor(() => watchSignals[0]?.aborted === true);
  });

  it("a caller abort during the stream is thrown as CANCELED", async () => {
    watch = async function* (_request, context) {
      for (let index = 0; index < 500 && !context.signal.aborted; index++) {
        yield response(SERVING);
        await sleepMs(10);
      }
    };
    const controller = new AbortController();
    let count = 0;
    const error = await caught(
      (async () => {
        for await (const _ of client().watch({}, { signal: controller.signal })) {
          if (++count === 2) {
            controller.abort();
          }
        }
      })(),
    );
    expect(error.code).toBe(Code.Canceled);
    expect(count).toBe(2);
    await waitFor(() => watchSignals[0]?.aborted === true);
  });

  it("the attempt timeout runs until the first message, and not after it", async () => {
    watch = async function* (_request, context, hit) {
      if (hit === 1) {
        await untilAborted(context.signal);
      }
      yield response(NOT_SERVING);
      await sleepMs(600);
      yield response(SERVING);
    };
    // Generous margins: the first message must beat 200 ms on a loaded machine; the gap is 3x.
    const api = client({ timeoutMs: 200, maxRetries: 1 });
    expect(await statuses(api.watch({}))).toEqual([NOT_SERVING, SERVING]);
    expect(hits).toBe(2);
  });

  it("is single use", async () => {
    const stream = client().watch({});
    await statuses(stream);
    expect(() => stream[Symbol.asyncIterator]()).toThrow(ServingkitError);
  });

  it("also works through the bare transport, where leaving early aborts the attempt", async () => {
    watch = async function* (_request, context) {
      for (let index = 0; index < 500 && !context.signal.aborted; index++) {
        yield response(SERVING);
        await sleepMs(10);
      }
    };
    const transport = createGrpcTransport({ address: server.address });
    const method = Health.method.watch;
    const streamResponse = await transport.stream(
      method,
      undefined,
      undefined,
      undefined,
      (async function* () {
        yield {};
      })(),
    );
    for await (const item of streamResponse.message) {
      expect(item.status).toBe(SERVING);
      break;
    }
    await waitFor(() => watchSignals[0]?.aborted === true);
  });
});

describe("grpcTarget", () => {
  it("reads host:port as plaintext unless TLS is asked for", () => {
    expect(grpcTarget("127.0.0.1:8033", undefined)).toEqual({
      baseUrl: "http://127.0.0.1:8033",
      secure: false,
    });
    expect(grpcTarget("model.apps.example.com:443", true)).toEqual({
      baseUrl: "https://model.apps.example.com:443",
      secure: true,
    });
    expect(grpcTarget("[::1]:8085", { insecure: true })).toEqual({
      baseUrl: "https://[::1]:8085",
      secure: true,
    });
    expect(grpcTarget("localhost:9000", false).secure).toBe(false);
  });

  it("takes the scheme of a URL", () => {
    expect(grpcTarget("https://model.apps.example.com", undefined)).toEqual({
      baseUrl: "https://model.apps.example.com",
      secure: true,
    });
    expect(grpcTarget("http://127.0.0.1:8081/", undefined).baseUrl).toBe("http://127.0.0.1:8081");
  });

  it("rejects contradictions and malformed addresses with INVALID_ARGUMENT", () => {
    const bad: [string, GrpcClientOptions["tls"]][] = [
      ["http://h:1", true],
      ["http://h:1", { ca: "x" }],
      ["https://h:1", false],
      ["h", undefined],
      ["h:1/path", undefined],
      ["ftp://h:1", undefined],
      ["", undefined],
      ["a b:1", undefined],
      ["h:70000", undefined],
      ["h:0", undefined],
    ];
    for (const [address, tls] of bad) {
      let error: unknown;
      try {
        grpcTarget(address, tls);
      } catch (thrown) {
        error = thrown;
      }
      expect(error, address).toBeInstanceOf(ServingkitError);
      expect((error as ServingkitError).code).toBe(Code.InvalidArgument);
    }
  });

  it("createGrpcTransport checks its options at once", () => {
    expect(() => createGrpcTransport({ address: "h" })).toThrow(ServingkitError);
    expect(() => createGrpcTransport({ address: "h:1", timeoutMs: 0 })).toThrow(ServingkitError);
    expect(() => createGrpcTransport({ address: "h:1", maxRetries: -2 })).toThrow(ServingkitError);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; tries < 2000 && !condition(); tries++) {
    await sleepMs(5);
  }
  expect(condition()).toBe(true);
}
