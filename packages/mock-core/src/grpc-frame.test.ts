import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { ModelInferResponseSchema } from "@servingkit/proto/inference";
import { describe, expect, it } from "vitest";
import { seededRandom } from "./engine/random.js";
import {
  frameMessage,
  messageChunks,
  readUnaryMessage,
  separatePrefixBytes,
} from "./grpc-frame.js";

const frame = (flag: number, length: number, payload: number[]) =>
  Uint8Array.from([
    flag,
    length >>> 24,
    (length >>> 16) & 255,
    (length >>> 8) & 255,
    length & 255,
    ...payload,
  ]);

describe("readUnaryMessage (PROTOCOL-HTTP2.md Length-Prefixed-Message)", () => {
  it("reads one uncompressed message as a view of the body", () => {
    const body = frame(0, 3, [8, 1, 16]);
    const read = readUnaryMessage(body);
    expect(read).toEqual({
      kind: "message",
      compressed: false,
      bytes: Uint8Array.from([8, 1, 16]),
    });
    if (read.kind === "message") expect(read.bytes.buffer).toBe(body.buffer);
  });

  it("reads an empty message (a message with every field at its default)", () => {
    expect(readUnaryMessage(frame(0, 0, []))).toEqual({
      kind: "message",
      compressed: false,
      bytes: new Uint8Array(0),
    });
  });

  it("reports Compressed-Flag 1", () => {
    expect(readUnaryMessage(frame(1, 1, [7]))).toMatchObject({ kind: "message", compressed: true });
  });

  it("no message, or a second one: UNIMPLEMENTED (statuscodes.md: request cardinality violation)", () => {
    expect(readUnaryMessage(new Uint8Array(0))).toMatchObject({ code: Code.Unimplemented });
    const two = Uint8Array.from([...frame(0, 1, [1]), ...frame(0, 1, [2])]);
    expect(readUnaryMessage(two)).toMatchObject({ code: Code.Unimplemented });
  });

  it("a body that ends inside a frame, or a flag other than 0/1: INTERNAL (protocol violation)", () => {
    expect(readUnaryMessage(Uint8Array.from([0, 0, 0]))).toMatchObject({
      kind: "error",
      code: Code.Internal,
      message: "incomplete message frame: 3 of 5 header bytes",
    });
    // A lying length prefix: 4 GiB - 1 promised, 2 bytes sent.
    expect(readUnaryMessage(frame(0, 0xffffffff, [1, 2]))).toMatchObject({
      code: Code.Internal,
      message: "incomplete message: 2 of 4294967295 bytes",
    });
    expect(readUnaryMessage(frame(2, 0, []))).toMatchObject({ code: Code.Internal });
  });

  it("never throws on random bodies (fuzz, seeded)", () => {
    const random = seededRandom(42);
    for (let i = 0; i < 2000; i += 1) {
      const length = Math.floor(random() * 24);
      const body = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      // Mostly small flags and lengths, so that some bodies are well framed.
      if (length > 4 && random() < 0.5) body.set([body[0] as number & 1, 0, 0, 0, length - 5]);
      const read = readUnaryMessage(body);
      if (read.kind === "message") expect(read.bytes.byteLength).toBe(length - 5);
      else expect([Code.Internal, Code.Unimplemented]).toContain(read.code);
    }
  });
});

describe("frameMessage", () => {
  it("prefixes flag 0 and the big-endian length", () => {
    expect([...frameMessage(Uint8Array.from([1, 2, 3]))]).toEqual([0, 0, 0, 0, 3, 1, 2, 3]);
    const big = new Uint8Array(70_000);
    expect([...frameMessage(big).subarray(0, 5)]).toEqual([0, 0, 1, 0x11, 0x70]);
  });

  it("round-trips through readUnaryMessage", () => {
    const bytes = Uint8Array.from([10, 4, 116, 101, 115, 116]);
    const read = readUnaryMessage(frameMessage(bytes));
    expect(read.kind === "message" ? [...read.bytes] : read).toEqual([...bytes]);
  });
});

describe("messageChunks", () => {
  const response = (raw: Uint8Array[]) =>
    create(ModelInferResponseSchema, {
      modelName: "identity_fp32",
      id: "r1",
      outputs: [{ name: "OUTPUT0", datatype: "FP32", shape: [1n, 2n] }],
      rawOutputContents: raw,
    });

  it("a message without a large bytes element: one chunk, the framed encoding", () => {
    const message = response([new Uint8Array([1, 2, 3, 4])]);
    const chunks = messageChunks(ModelInferResponseSchema, message);
    expect(chunks).toHaveLength(1);
    expect([...(chunks[0] as Uint8Array)]).toEqual([
      ...frameMessage(toBinary(ModelInferResponseSchema, message)),
    ]);
  });

  it("a large raw tensor is written from the caller's bytes, and the receiver reads the same message", () => {
    // protobuf encoding spec, "Field Order": parsers accept fields in any order; a repeated
    // field's elements keep their order.
    const big = new Uint8Array(separatePrefixBytes + 3).map((_, i) => i % 251);
    const small = new Uint8Array([9, 8, 7]);
    const message = response([small, big]);
    const chunks = messageChunks(ModelInferResponseSchema, message);
    expect(chunks).toContain(big); // the same object: not copied
    const body = Buffer.concat(chunks);
    const read = readUnaryMessage(body);
    if (read.kind !== "message") throw new Error(read.message);
    const decoded = fromBinary(ModelInferResponseSchema, new Uint8Array(read.bytes)); // not a Buffer
    expect(decoded).toEqual(message);
  });
});
