/**
 * gRPC server reflection, through a connect client on the in-memory transport and through
 * `buf curl` (an independent gRPC client from @bufbuild/buf) on a real port.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { v1, v1alpha } from "@servingkit/proto/reflection";
import { afterEach, describe, expect, it } from "vitest";
import { type BuiltMock, buildMock, type RunningMock, startMock } from "./mock.js";

const run = promisify(execFile);
const buf = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));
const protoRoot = fileURLToPath(new URL("../../../proto", import.meta.url));

const mocks: (BuiltMock | RunningMock)[] = [];
afterEach(async () => {
  await Promise.all(mocks.splice(0).map((m) => m.close()));
});

type Request = v1alpha.ServerReflectionRequest["messageRequest"];

/** Sends queries on one reflection stream and collects the answers. */
async function reflect(
  mock: BuiltMock,
  queries: Request[],
  edition: "v1" | "v1alpha" = "v1alpha",
): Promise<v1alpha.ServerReflectionResponse[]> {
  const transport = mock.grpcTransport();
  const answers: v1alpha.ServerReflectionResponse[] = [];
  if (edition === "v1alpha") {
    const client = createClient(v1alpha.ServerReflection, transport);
    const requests = queries.map((messageRequest) =>
      create(v1alpha.ServerReflectionRequestSchema, { host: "h", messageRequest }),
    );
    for await (const answer of client.serverReflectionInfo(toAsync(requests))) answers.push(answer);
  } else {
    const client = createClient(v1.ServerReflection, transport);
    // Only string-valued queries are sent on v1 here, so the v1alpha union reads the same.
    const requests = queries.map((messageRequest) =>
      create(v1.ServerReflectionRequestSchema, {
        host: "h",
        messageRequest: messageRequest as v1.ServerReflectionRequest["messageRequest"],
      }),
    );
    for await (const answer of client.serverReflectionInfo(toAsync(requests))) {
      answers.push(answer as unknown as v1alpha.ServerReflectionResponse);
    }
  }
  return answers;
}

async function* toAsync<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

function fileNames(answer: v1alpha.ServerReflectionResponse | undefined): string[] {
  if (answer?.messageResponse.case !== "fileDescriptorResponse") return [];
  return answer.messageResponse.value.fileDescriptorProto.map(
    (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
  );
}

async function caikit(): Promise<BuiltMock> {
  const mock = await buildMock({ runtime: "caikit-tgis" });
  mocks.push(mock);
  return mock;
}

describe("reflection answers (in memory)", () => {
  it("list_services names every registered service, reflection and health included", async () => {
    // caikit-tgis.md §2.1: the Caikit runtime registers health and v1alpha reflection.
    const [answer] = await reflect(await caikit(), [{ case: "listServices", value: "*" }]);
    expect(answer?.validHost).toBe("h");
    expect(answer?.originalRequest?.messageRequest.case).toBe("listServices");
    expect(answer?.messageResponse.case).toBe("listServicesResponse");
    const names =
      answer?.messageResponse.case === "listServicesResponse"
        ? answer.messageResponse.value.service.map((s) => s.name)
        : [];
    expect(names.sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
  });

  it("file_containing_symbol sends the file with its imports, each once per stream", async () => {
    const answers = await reflect(await caikit(), [
      { case: "fileContainingSymbol", value: "caikit.runtime.Nlp.NlpService" },
      { case: "fileContainingSymbol", value: "caikit_data_model.nlp.GeneratedTextResult" },
      { case: "fileContainingSymbol", value: "grpc.health.v1.Health.Check" },
    ]);
    const first = fileNames(answers[0]);
    expect(first[0]).toBe("caikit/runtime/Nlp/nlp_service.proto");
    expect(first).toEqual(
      expect.arrayContaining([
        "caikit_data_model/nlp/nlp.proto",
        "caikit_data_model/caikit_nlp/caikit_nlp.proto",
        "google/protobuf/struct.proto",
      ]),
    );
    expect(new Set(first).size).toBe(first.length);
    // Asked again on the same stream: the file itself, none of the imports already sent.
    expect(fileNames(answers[1])).toEqual(["caikit_data_model/nlp/nlp.proto"]);
    expect(fileNames(answers[2])).toEqual(["grpc/health/v1/health.proto"]);
  });

  it("file_by_filename works, and the v1 edition answers the same", async () => {
    const query: Request = { case: "fileByFilename", value: "grpc/health/v1/health.proto" };
    expect(fileNames((await reflect(await caikit(), [query]))[0])).toEqual([
      "grpc/health/v1/health.proto",
    ]);
    expect(fileNames((await reflect(await caikit(), [query], "v1"))[0])).toEqual([
      "grpc/health/v1/health.proto",
    ]);
  });

  it("misses are NOT_FOUND error responses, not failed streams", async () => {
    // grpc_reflection/v1alpha/_base.py `_not_found_error`: error_code NOT_FOUND, "not found".
    const answers = await reflect(await caikit(), [
      { case: "fileByFilename", value: "no/such.proto" },
      { case: "fileContainingSymbol", value: "no.Such" },
      {
        case: "fileContainingExtension",
        value: create(v1alpha.ExtensionRequestSchema, {
          containingType: "grpc.health.v1.HealthCheckRequest",
          extensionNumber: 100,
        }),
      },
      { case: "allExtensionNumbersOfType", value: "no.Such" },
    ]);
    expect(answers).toHaveLength(4);
    for (const answer of answers) {
      expect(answer.messageResponse).toEqual({
        case: "errorResponse",
        value: expect.objectContaining({ errorCode: 5, errorMessage: "not found" }),
      });
    }
  });

  it("all_extension_numbers_of_type of a known message: none", async () => {
    const [answer] = await reflect(await caikit(), [
      { case: "allExtensionNumbersOfType", value: "grpc.health.v1.HealthCheckRequest" },
    ]);
    expect(answer?.messageResponse).toEqual({
      case: "allExtensionNumbersResponse",
      value: expect.objectContaining({
        baseTypeName: "grpc.health.v1.HealthCheckRequest",
        extensionNumber: [],
      }),
    });
  });

  it("is not served where the runtime has none (Triton)", async () => {
    // kserve-v2.md §4.1: Triton serves health but no reflection.
    const mock = await buildMock({ runtime: "triton" });
    mocks.push(mock);
    await expect(reflect(mock, [{ case: "listServices", value: "" }])).rejects.toThrow(
      /unimplemented/i,
    );
  });
});

describe("buf curl against a listening mock", () => {
  async function start(options: Parameters<typeof startMock>[0]) {
    const mock = await startMock({ host: "127.0.0.1", httpPort: 0, grpcPort: 0, ...options });
    mocks.push(mock);
    return mock;
  }

  it("calls Caikit's health through server reflection", async () => {
    const mock = await start({ runtime: "caikit-tgis" });
    const { stdout } = await run(buf, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-d",
      "{}",
      `http://${mock.endpoints.grpc}/grpc.health.v1.Health/Check`,
    ]);
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
  });

  it("lists Caikit's methods through reflection", async () => {
    const mock = await start({ runtime: "caikit-standalone" });
    const { stdout } = await run(buf, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--list-methods",
      `http://${mock.endpoints.grpc}`,
    ]);
    expect(stdout.split("\n")).toEqual(
      expect.arrayContaining(["grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch"]),
    );
  });

  it("calls Triton's health with --schema proto/ over TLS with a token", async () => {
    const mock = await start({ runtime: "triton", tls: true, tokens: ["tok"] });
    const dir = mkdtempSync(join(tmpdir(), "servingkit-"));
    const ca = join(dir, "ca.pem");
    writeFileSync(ca, mock.certificatePem as string);
    const { stdout } = await run(buf, [
      "curl",
      "--protocol",
      "grpc",
      "--schema",
      protoRoot,
      "--cacert",
      ca,
      "-H",
      "Authorization: Bearer tok",
      "-d",
      "{}",
      `https://${mock.endpoints.grpc}/grpc.health.v1.Health/Check`,
    ]);
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
  });

  it("is refused without the token: buf curl reports unauthenticated", async () => {
    const mock = await start({ runtime: "triton", tokens: ["tok"] });
    const failure = await run(buf, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--schema",
      protoRoot,
      "-d",
      "{}",
      `http://${mock.endpoints.grpc}/grpc.health.v1.Health/Check`,
    ]).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => error,
    );
    expect(failure).toBeDefined();
    expect(`${failure?.stdout}${failure?.stderr}`).toContain("unauthenticated");
  });
});
