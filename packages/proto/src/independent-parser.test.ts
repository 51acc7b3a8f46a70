/**
 * A second, independent reading of our .proto files: @grpc/proto-loader (protobufjs) parses
 * proto/ from source and must agree with the protoc-gen-es descriptors on every service, method,
 * message, field and enum; then a @grpc/grpc-js server built from proto-loader's definitions
 * (protobufjs codec) talks to a client that encodes with the generated protobuf-es schemas, so
 * the two runtimes prove the same bytes in both directions.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  create,
  type DescField,
  type DescMessage,
  type DescMethodBiDiStreaming,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  fromBinary,
  isFieldSet,
  type MessageInitShape,
  type MessageShape,
  ScalarType,
  toBinary,
} from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NlpService } from "./caikit.js";
import { GenerationService, StopReason } from "./fmaas.js";
import { allFiles } from "./index.js";
import { GRPCInferenceService } from "./inference.js";
import { declaredTypes } from "./testdata/describe.js";

const protoRoot = fileURLToPath(new URL("../../../proto/", import.meta.url));
const sources = readdirSync(protoRoot, { recursive: true, encoding: "utf8" })
  .filter((p) => p.endsWith(".proto"))
  .map((p) => p.replaceAll("\\", "/"));

/** proto-loader's reading of proto/, with the options grpc-js users typically pass. */
const definition: PackageDefinition = loadSync(sources, {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [protoRoot],
});

const ourFiles = allFiles.filter((f) => !f.name.startsWith("google/protobuf/"));
const ourServices = ourFiles.flatMap((f) => f.services);
const ourTypes = ourFiles.flatMap(declaredTypes);

/** The last segment of a (possibly relative) type name: "inference.InferParameter" -> "InferParameter". */
const short = (typeName: string): string => typeName.slice(typeName.lastIndexOf(".") + 1);

/** A field as both sides can describe it: number, label, oneof and type by short name. */
function ourFieldShape(field: DescField): string {
  const scalar = (t: ScalarType): string => ScalarType[t].toLowerCase();
  let type: string;
  switch (field.fieldKind) {
    case "scalar":
      type = scalar(field.scalar);
      break;
    case "enum":
      type = short(field.enum.typeName);
      break;
    case "message":
      type = short(field.message.typeName);
      break;
    case "list":
      type = `repeated ${field.listKind === "scalar" ? scalar(field.scalar) : short((field.listKind === "enum" ? field.enum : field.message).typeName)}`;
      break;
    case "map":
      type = `map<${scalar(field.mapKey)}, ${field.mapKind === "scalar" ? scalar(field.scalar) : short((field.mapKind === "enum" ? field.enum : field.message).typeName)}>`;
      break;
  }
  const oneof = field.oneof ? `oneof ${field.oneof.name} ` : "";
  const optional = field.proto.proto3Optional ? "optional " : "";
  return `${field.number} ${oneof}${optional}${type}`;
}

/** The same shape from protobufjs's descriptor of the message (as proto-loader exposes it). */
function theirFieldShape(message: DescriptorProto, field: FieldDescriptorProto): string {
  const scalar = (t: FieldDescriptorProto_Type): string =>
    FieldDescriptorProto_Type[t].replace(/^TYPE_/, "").toLowerCase();
  const named = (f: FieldDescriptorProto): string =>
    f.type === FieldDescriptorProto_Type.MESSAGE || f.type === FieldDescriptorProto_Type.ENUM
      ? short(f.typeName)
      : scalar(f.type);
  let type = named(field);
  const entry = message.nestedType.find(
    (n) => n.options?.mapEntry && short(field.typeName) === n.name,
  );
  if (entry) {
    const [key, value] = entry.field;
    type = `map<${key ? named(key) : "?"}, ${value ? named(value) : "?"}>`;
  } else if (field.label === FieldDescriptorProto_Label.REPEATED) {
    type = `repeated ${type}`;
  }
  // protobufjs models proto3 `optional` as a one-member oneof named "_<field>".
  const oneofName = isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex)
    ? message.oneofDecl[field.oneofIndex]?.name
    : undefined;
  const prefix =
    oneofName === undefined
      ? ""
      : oneofName === `_${field.name}`
        ? "optional "
        : `oneof ${oneofName} `;
  return `${field.number} ${prefix}${type}`;
}

/**
 * protobufjs's descriptor of a top-level message or enum, decoded from the serialized
 * FileDescriptorProtos that proto-loader attaches to each definition (presence included).
 */
function theirTopLevel(typeName: string): DescriptorProto | EnumDescriptorProto {
  const entry = definition[typeName] as { fileDescriptorProtos?: Buffer[] } | undefined;
  const pkg = typeName.slice(0, typeName.lastIndexOf("."));
  const name = short(typeName);
  for (const bytes of entry?.fileDescriptorProtos ?? []) {
    const file = fromBinary(FileDescriptorProtoSchema, bytes);
    if (file.package !== pkg) continue;
    const found =
      file.messageType.find((m) => m.name === name) ?? file.enumType.find((e) => e.name === name);
    if (found) return found;
  }
  throw new Error(`proto-loader has no ${typeName}`);
}

const enumShape = (values: { name: string; number: number }[]): string[] =>
  values.map((v) => `${v.name}=${v.number}`);

/** Compares one message, then its nested messages and enums, recursively; returns fields seen. */
function compareMessage(ours: DescMessage, theirs: DescriptorProto): number {
  expect(
    Object.fromEntries(theirs.field.map((f) => [f.name, theirFieldShape(theirs, f)])),
    ours.typeName,
  ).toEqual(Object.fromEntries(ours.fields.map((f) => [f.name, ourFieldShape(f)])));
  const nested = theirs.nestedType.filter((n) => !n.options?.mapEntry);
  expect(
    nested.map((n) => n.name),
    ours.typeName,
  ).toEqual(ours.nestedMessages.map((n) => n.name));
  expect(
    theirs.enumType.map((e) => e.name),
    ours.typeName,
  ).toEqual(ours.nestedEnums.map((e) => e.name));
  for (const e of ours.nestedEnums) {
    const match = theirs.enumType.find((t) => t.name === e.name);
    expect(enumShape(match?.value ?? []), e.typeName).toEqual(enumShape(e.values));
  }
  let fields = ours.fields.length;
  for (const m of ours.nestedMessages) {
    const match = nested.find((n) => n.name === m.name);
    if (match) fields += compareMessage(m, match);
  }
  return fields;
}

describe("@grpc/proto-loader reads proto/ the same way", () => {
  it("finds the same top-level services, messages and enums, and no others", () => {
    const theirs = Object.keys(definition).filter((n) => !n.startsWith("google.protobuf."));
    const ours = ourFiles.flatMap((f) => [...f.services, ...f.messages, ...f.enums]);
    expect(theirs.sort()).toEqual(ours.map((d) => d.typeName).sort());
  });

  it("agrees on every method's path, streaming kind and message types", () => {
    for (const service of ourServices) {
      const theirs = definition[service.typeName] as Record<
        string,
        grpc.MethodDefinition<unknown, unknown> & {
          requestType: { type: { name: string } };
          responseType: { type: { name: string } };
        }
      >;
      const shape = (path: string, req: boolean, res: boolean, input: string, output: string) =>
        `${path} ${req ? "stream " : ""}${input} -> ${res ? "stream " : ""}${output}`;
      expect(
        Object.values(theirs).map((m) =>
          shape(
            m.path,
            m.requestStream,
            m.responseStream,
            m.requestType.type.name,
            m.responseType.type.name,
          ),
        ),
      ).toEqual(
        service.methods.map((m) =>
          shape(
            `/${service.typeName}/${m.name}`,
            m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
            m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
            m.input.name,
            m.output.name,
          ),
        ),
      );
    }
  });

  it("agrees on every field's number, label, oneof and type, and every enum value, nested ones included", () => {
    let fields = 0;
    for (const file of ourFiles) {
      for (const e of file.enums) {
        const theirs = theirTopLevel(e.typeName) as EnumDescriptorProto;
        expect(enumShape(theirs.value), e.typeName).toEqual(enumShape(e.values));
      }
      for (const m of file.messages) {
        fields += compareMessage(m, theirTopLevel(m.typeName) as DescriptorProto);
      }
    }
    // Every field of every message took part (a guard against comparing nothing).
    const ourFieldCount = ourTypes.reduce(
      (n, d) => n + (d.kind === "message" ? d.fields.length : 0),
      0,
    );
    expect(fields).toBe(ourFieldCount);
    expect(fields).toBeGreaterThan(300);
  });
});

describe("a grpc-js server on protobufjs and a client on protobuf-es understand each other", () => {
  const server = new grpc.Server();
  const seen: { request?: unknown; metadata?: grpc.Metadata } = {};
  let client: grpc.Client;

  const service = (name: string): grpc.ServiceDefinition =>
    definition[name] as grpc.ServiceDefinition;

  beforeAll(async () => {
    server.addService(service("inference.GRPCInferenceService"), {
      ModelInfer(call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<unknown>) {
        seen.request = call.request;
        done(null, {
          model_name: "simple",
          model_version: "1",
          id: "42",
          parameters: { big: { uint64_param: "4294967297" } },
          outputs: [{ name: "OUTPUT0", datatype: "INT32", shape: ["2"] }],
          raw_output_contents: [Buffer.from([3, 0, 0, 0, 4, 0, 0, 0])],
        });
      },
      ModelStreamInfer(call: grpc.ServerDuplexStream<{ id: string }, unknown>) {
        call.on("data", (request: { id: string }) => {
          call.write(
            request.id === "bad"
              ? { error_message: "unexpected inference input 'x' for model 'simple'" }
              : { infer_response: { model_name: "simple", id: request.id } },
          );
        });
        call.on("end", () => call.end());
      },
    });
    server.addService(service("fmaas.GenerationService"), {
      GenerateStream(call: grpc.ServerWritableStream<unknown, unknown>) {
        seen.request = call.request;
        call.write({ input_token_count: 5, seed: "0" });
        call.write({ generated_token_count: 1, text: "Hel", tokens: [{ text: "Hel", rank: 1 }] });
        call.write({ generated_token_count: 2, text: "lo", stop_reason: "MAX_TOKENS" });
        call.end();
      },
    });
    server.addService(service("caikit.runtime.Nlp.NlpService"), {
      TextGenerationTaskPredict(
        call: grpc.ServerUnaryCall<unknown, unknown>,
        done: grpc.sendUnaryData<unknown>,
      ) {
        seen.request = call.request;
        seen.metadata = call.metadata;
        done(null, {
          generated_text: "ok",
          generated_tokens: "1",
          finish_reason: "EOS_TOKEN",
          producer_id: { name: "Text Generation", version: "0.1.0" },
          input_token_count: "2",
          tokens: [{ text: "ok", logprob: -0.5, rank: "3" }],
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    client?.close();
    server.forceShutdown();
  });

  /** A Buffer's bytes as a plain Uint8Array, so decoded bytes fields compare as Uint8Array. */
  const plain = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

  const path = (m: { parent: { typeName: string }; name: string }): string =>
    `/${m.parent.typeName}/${m.name}`;

  function unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    metadata = new grpc.Metadata(),
  ): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        path(method),
        (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
        (b: Buffer) => fromBinary(method.output, plain(b)),
        create(method.input, input),
        metadata,
        (err, res) => (err || !res ? reject(err) : resolve(res)),
      );
    });
  }

  async function serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    input: MessageInitShape<I>,
  ): Promise<MessageShape<O>[]> {
    const call = client.makeServerStreamRequest(
      path(method),
      (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
      (b: Buffer) => fromBinary(method.output, plain(b)),
      create(method.input, input),
    );
    const out: MessageShape<O>[] = [];
    for await (const message of call) out.push(message as MessageShape<O>);
    return out;
  }

  async function bidi<I extends DescMessage, O extends DescMessage>(
    method: DescMethodBiDiStreaming<I, O>,
    inputs: MessageInitShape<I>[],
  ): Promise<MessageShape<O>[]> {
    const call = client.makeBidiStreamRequest(
      path(method),
      (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
      (b: Buffer) => fromBinary(method.output, plain(b)),
    );
    for (const input of inputs) call.write(create(method.input, input));
    call.end();
    const out: MessageShape<O>[] = [];
    for await (const message of call) out.push(message as MessageShape<O>);
    return out;
  }

  it("ModelInfer: typed and raw contents and every InferParameter kind cross both ways", async () => {
    const response = await unary(GRPCInferenceService.method.modelInfer, {
      modelName: "simple",
      id: "42",
      parameters: {
        b: { parameterChoice: { case: "boolParam", value: true } },
        i: { parameterChoice: { case: "int64Param", value: -7n } },
        s: { parameterChoice: { case: "stringParam", value: "v" } },
        d: { parameterChoice: { case: "doubleParam", value: 0.5 } },
        u: { parameterChoice: { case: "uint64Param", value: 4294967297n } },
      },
      inputs: [
        { name: "INPUT0", datatype: "INT32", shape: [1n, 2n], contents: { intContents: [1, -2] } },
        { name: "INPUT1", datatype: "FP32", shape: [1n] },
      ],
      rawInputContents: [Uint8Array.from([0, 0, 0x80, 0x3f])],
    });
    expect(seen.request).toEqual({
      model_name: "simple",
      id: "42",
      parameters: {
        b: { bool_param: true, parameter_choice: "bool_param" },
        i: { int64_param: "-7", parameter_choice: "int64_param" },
        s: { string_param: "v", parameter_choice: "string_param" },
        d: { double_param: 0.5, parameter_choice: "double_param" },
        // Above 2^32, so both halves of the varint count. (protobufjs as loaded here converts
        // 64-bit values through JS numbers, so values above 2^53 would lose precision on its side.)
        u: { uint64_param: "4294967297", parameter_choice: "uint64_param" },
      },
      inputs: [
        {
          name: "INPUT0",
          datatype: "INT32",
          shape: ["1", "2"],
          contents: { int_contents: [1, -2] },
        },
        { name: "INPUT1", datatype: "FP32", shape: ["1"] },
      ],
      raw_input_contents: [Buffer.from([0, 0, 0x80, 0x3f])],
    });
    expect(response.modelName).toBe("simple");
    expect(response.parameters.big?.parameterChoice).toEqual({
      case: "uint64Param",
      value: 4294967297n,
    });
    expect(response.outputs[0]?.shape).toEqual([2n]);
    expect(response.rawOutputContents).toEqual([Uint8Array.from([3, 0, 0, 0, 4, 0, 0, 0])]);
  });

  it("ModelStreamInfer: one stream carries responses and in-band errors", async () => {
    const messages = await bidi(GRPCInferenceService.method.modelStreamInfer, [
      { modelName: "simple", id: "a" },
      { modelName: "simple", id: "bad" },
    ]);
    expect(messages.map((m) => [m.errorMessage, m.inferResponse?.id ?? null])).toEqual([
      ["", "a"],
      ["unexpected inference input 'x' for model 'simple'", null],
    ]);
  });

  it("GenerateStream: the request's text (field 2) and params arrive; three messages come back", async () => {
    const messages = await serverStream(GenerationService.method.generateStream, {
      request: { text: "Hello" },
      params: { stopping: { maxNewTokens: 2, includeStopSequence: false } },
    });
    expect(seen.request).toEqual({
      request: { text: "Hello" },
      params: {
        stopping: {
          max_new_tokens: 2,
          include_stop_sequence: false,
          _include_stop_sequence: "include_stop_sequence",
        },
      },
    });
    expect(
      messages.map((m) => [m.inputTokenCount, m.generatedTokenCount, m.text, m.stopReason]),
    ).toEqual([
      [5, 0, "", StopReason.NOT_FINISHED],
      [0, 1, "Hel", StopReason.NOT_FINISHED],
      [0, 2, "lo", StopReason.MAX_TOKENS],
    ]);
    expect(messages[1]?.tokens[0]?.rank).toBe(1);
  });

  it("TextGenerationTaskPredict: fields 16-20 and mm-model-id reach the server", async () => {
    const metadata = new grpc.Metadata();
    metadata.set("mm-model-id", "flan-t5-small-caikit");
    const result = await unary(
      NlpService.method.textGenerationTaskPredict,
      { text: "hi", maxNewTokens: 0n, tokenRanks: true, includeStopSequence: false },
      metadata,
    );
    expect(seen.metadata?.get("mm-model-id")).toEqual(["flan-t5-small-caikit"]);
    expect(seen.request).toEqual({
      text: "hi",
      max_new_tokens: "0",
      _max_new_tokens: "max_new_tokens",
      token_ranks: true,
      _token_ranks: "token_ranks",
      include_stop_sequence: false,
      _include_stop_sequence: "include_stop_sequence",
    });
    expect(result.generatedText).toBe("ok");
    expect(result.tokens[0]?.rank).toBe(3n);
    expect(result.producerId?.name).toBe("Text Generation");
  });
});
