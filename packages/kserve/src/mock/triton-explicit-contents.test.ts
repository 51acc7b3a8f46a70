/**
 * Triton's typed gRPC `contents` (server src/grpc/infer_handler.cc `InferGRPCToInput`,
 * `InferGRPCToInputHelper`): a field of another type and a second non-empty field are refused in
 * Triton's words; pure, then over the wire with @grpc/grpc-js.
 */

import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { InferTensorContentsSchema } from "@servingkit/proto/inference";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, inferenceClient, startKserve } from "./test-mocks.js";
import { explicitContentsFault } from "./triton-explicit-contents.js";

const prefix = "unexpected explicit tensor data for input tensor 'INPUT0' for model 'm'";

describe("explicitContentsFault (pure)", () => {
  it("the datatype's own field passes; int_contents carries INT8 and INT16 too", () => {
    const ints = create(InferTensorContentsSchema, { intContents: [1, 2] });
    expect(explicitContentsFault("INT32", ints, "INPUT0", "m")).toBeUndefined();
    expect(explicitContentsFault("INT8", ints, "INPUT0", "m")).toBeUndefined();
    expect(
      explicitContentsFault(
        "UINT16",
        create(InferTensorContentsSchema, { uintContents: [1] }),
        "INPUT0",
        "m",
      ),
    ).toBeUndefined();
    expect(
      explicitContentsFault("FP32", create(InferTensorContentsSchema), "INPUT0", "m"),
    ).toBeUndefined();
  });

  it("another type's field: 'of type <T>, expected datatype <D>' (InferGRPCToInputHelper)", () => {
    const ints = create(InferTensorContentsSchema, { intContents: [1, 2] });
    expect(explicitContentsFault("FP32", ints, "INPUT0", "m")?.message).toBe(
      `${prefix} of type 'INT32', expected datatype 'FP32'`,
    );
    const floats = create(InferTensorContentsSchema, { fp32Contents: [1] });
    expect(explicitContentsFault("FP16", floats, "INPUT0", "m")?.message).toBe(
      `${prefix} of type 'FP32', expected datatype 'FP16'`,
    );
  });

  it("a second non-empty field: 'binary data was already supplied.' (the first set the data)", () => {
    const both = create(InferTensorContentsSchema, {
      fp32Contents: [1, 2],
      bytesContents: [new Uint8Array(1)],
    });
    const fault = explicitContentsFault("FP32", both, "INPUT0", "m");
    expect([fault?.kind, fault?.message]).toEqual([
      "invalid",
      `${prefix}, binary data was already supplied.`,
    ]);
    // Walked in Triton's order: bool before fp32, so bool is the field of the wrong type.
    const boolFirst = create(InferTensorContentsSchema, {
      boolContents: [true],
      fp32Contents: [1],
    });
    expect(explicitContentsFault("FP32", boolFirst, "INPUT0", "m")?.message).toBe(
      `${prefix} of type 'BOOL', expected datatype 'FP32'`,
    );
  });
});

afterEach(closeAll);

describe("over gRPC (ModelInfer)", () => {
  it("Triton refuses a second typed field INVALID_ARGUMENT; MLServer reads its datatype's field", async () => {
    const request = {
      model_name: "identity_fp32",
      inputs: [
        {
          name: "INPUT0",
          datatype: "FP32",
          shape: [1, 2],
          // fp64 comes after fp32 in Triton's walk: fp32 gave the data, fp64 is a second supply.
          contents: { fp32_contents: [1, 2], fp64_contents: [3, 4] },
        },
      ],
    };
    const triton = inferenceClient(await startKserve("triton"));
    expect(await triton.failure("ModelInfer", request)).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details:
        "unexpected explicit tensor data for input tensor 'INPUT0' for model 'identity_fp32', binary data was already supplied.",
    });
    const wrongType = {
      ...request,
      inputs: [{ ...request.inputs[0], contents: { int_contents: [3, 4] } }],
    };
    expect(await triton.failure("ModelInfer", wrongType)).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details:
        "unexpected explicit tensor data for input tensor 'INPUT0' for model 'identity_fp32' of type 'INT32', expected datatype 'FP32'",
    });
    const mlserver = inferenceClient(await startKserve("mlserver"));
    const answer = await mlserver.unary("ModelInfer", request);
    expect(answer.model_name).toBe("identity_fp32");
  });
});
