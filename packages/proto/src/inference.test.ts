import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import * as inference from "./inference.js";
import {
  DataType,
  file_inference_grpc_service,
  file_inference_model_config,
  GRPCInferenceService,
  InferParameterSchema,
  InferTensorContentsSchema,
  ModelConfigSchema,
  ModelInferRequest_InferInputTensorSchema,
  ModelInferRequest_InferRequestedOutputTensorSchema,
  ModelInferRequestSchema,
  ModelInferResponse_InferOutputTensorSchema,
  ModelInferResponseSchema,
  ModelInputSchema,
  ModelInstanceGroupSchema,
  ModelMetadataResponse_TensorMetadataSchema,
  ModelMetadataResponseSchema,
  ModelOutputSchema,
  ModelReadyRequestSchema,
  ModelRepositoryParameterSchema,
  ModelStatisticsSchema,
  ModelStreamInferResponseSchema,
  ServerMetadataResponseSchema,
} from "./inference.js";
import {
  enumValues,
  fieldSignatures,
  generatedExportNames,
  methodSignatures,
} from "./testdata/describe.js";
import { hex } from "./testdata/hex.js";

describe("inference.GRPCInferenceService", () => {
  it("has the six KServe v2 core RPCs and Triton's extensions, with their paths and kinds", () => {
    // kserve-v2.md §4.1: the core six are shared by KServe, MLServer, OVMS and Triton; the rest
    // are Triton's (common protobuf/grpc_service.proto), in one service as Triton declares them.
    expect(methodSignatures(GRPCInferenceService)).toEqual({
      "/inference.GRPCInferenceService/ServerLive":
        "unary inference.ServerLiveRequest -> inference.ServerLiveResponse",
      "/inference.GRPCInferenceService/ServerReady":
        "unary inference.ServerReadyRequest -> inference.ServerReadyResponse",
      "/inference.GRPCInferenceService/ModelReady":
        "unary inference.ModelReadyRequest -> inference.ModelReadyResponse",
      "/inference.GRPCInferenceService/ServerMetadata":
        "unary inference.ServerMetadataRequest -> inference.ServerMetadataResponse",
      "/inference.GRPCInferenceService/ModelMetadata":
        "unary inference.ModelMetadataRequest -> inference.ModelMetadataResponse",
      "/inference.GRPCInferenceService/ModelInfer":
        "unary inference.ModelInferRequest -> inference.ModelInferResponse",
      "/inference.GRPCInferenceService/ModelStreamInfer":
        "bidi_streaming inference.ModelInferRequest -> inference.ModelStreamInferResponse",
      "/inference.GRPCInferenceService/ModelConfig":
        "unary inference.ModelConfigRequest -> inference.ModelConfigResponse",
      "/inference.GRPCInferenceService/ModelStatistics":
        "unary inference.ModelStatisticsRequest -> inference.ModelStatisticsResponse",
      "/inference.GRPCInferenceService/RepositoryIndex":
        "unary inference.RepositoryIndexRequest -> inference.RepositoryIndexResponse",
      "/inference.GRPCInferenceService/RepositoryModelLoad":
        "unary inference.RepositoryModelLoadRequest -> inference.RepositoryModelLoadResponse",
      "/inference.GRPCInferenceService/RepositoryModelUnload":
        "unary inference.RepositoryModelUnloadRequest -> inference.RepositoryModelUnloadResponse",
      "/inference.GRPCInferenceService/SystemSharedMemoryStatus":
        "unary inference.SystemSharedMemoryStatusRequest -> inference.SystemSharedMemoryStatusResponse",
      "/inference.GRPCInferenceService/SystemSharedMemoryRegister":
        "unary inference.SystemSharedMemoryRegisterRequest -> inference.SystemSharedMemoryRegisterResponse",
      "/inference.GRPCInferenceService/SystemSharedMemoryUnregister":
        "unary inference.SystemSharedMemoryUnregisterRequest -> inference.SystemSharedMemoryUnregisterResponse",
      "/inference.GRPCInferenceService/CudaSharedMemoryStatus":
        "unary inference.CudaSharedMemoryStatusRequest -> inference.CudaSharedMemoryStatusResponse",
      "/inference.GRPCInferenceService/CudaSharedMemoryRegister":
        "unary inference.CudaSharedMemoryRegisterRequest -> inference.CudaSharedMemoryRegisterResponse",
      "/inference.GRPCInferenceService/CudaSharedMemoryUnregister":
        "unary inference.CudaSharedMemoryUnregisterRequest -> inference.CudaSharedMemoryUnregisterResponse",
      "/inference.GRPCInferenceService/TraceSetting":
        "unary inference.TraceSettingRequest -> inference.TraceSettingResponse",
      "/inference.GRPCInferenceService/LogSettings":
        "unary inference.LogSettingsRequest -> inference.LogSettingsResponse",
    });
  });
});

describe("inference messages (kserve-v2.md §4.2)", () => {
  it("pins the health, readiness and metadata messages", () => {
    expect(fieldSignatures(ModelReadyRequestSchema)).toEqual({
      name: "1 string",
      version: "2 string",
    });
    expect(fieldSignatures(ServerMetadataResponseSchema)).toEqual({
      name: "1 string",
      version: "2 string",
      extensions: "3 repeated string",
    });
    // §4.2: MLServer adds TensorMetadata.parameters=4 and ModelMetadataResponse.parameters=6;
    // Triton's file uses 1-3 and 1-5 there, so both fit without a collision.
    expect(fieldSignatures(ModelMetadataResponseSchema)).toEqual({
      name: "1 string",
      versions: "2 repeated string",
      platform: "3 string",
      inputs: "4 repeated inference.ModelMetadataResponse.TensorMetadata",
      outputs: "5 repeated inference.ModelMetadataResponse.TensorMetadata",
      parameters: "6 map<string, inference.InferParameter>",
    });
    expect(fieldSignatures(ModelMetadataResponse_TensorMetadataSchema)).toEqual({
      name: "1 string",
      datatype: "2 string",
      shape: "3 repeated int64",
      parameters: "4 map<string, inference.InferParameter>",
    });
  });

  it("pins ModelInferRequest and its tensors", () => {
    expect(fieldSignatures(ModelInferRequestSchema)).toEqual({
      model_name: "1 string",
      model_version: "2 string",
      id: "3 string",
      parameters: "4 map<string, inference.InferParameter>",
      inputs: "5 repeated inference.ModelInferRequest.InferInputTensor",
      outputs: "6 repeated inference.ModelInferRequest.InferRequestedOutputTensor",
      raw_input_contents: "7 repeated bytes",
    });
    expect(fieldSignatures(ModelInferRequest_InferInputTensorSchema)).toEqual({
      name: "1 string",
      datatype: "2 string",
      shape: "3 repeated int64",
      parameters: "4 map<string, inference.InferParameter>",
      contents: "5 inference.InferTensorContents",
    });
    expect(fieldSignatures(ModelInferRequest_InferRequestedOutputTensorSchema)).toEqual({
      name: "1 string",
      parameters: "2 map<string, inference.InferParameter>",
    });
  });

  it("pins ModelInferResponse, ModelStreamInferResponse and the output tensor", () => {
    expect(fieldSignatures(ModelInferResponseSchema)).toEqual({
      model_name: "1 string",
      model_version: "2 string",
      id: "3 string",
      parameters: "4 map<string, inference.InferParameter>",
      outputs: "5 repeated inference.ModelInferResponse.InferOutputTensor",
      raw_output_contents: "6 repeated bytes",
    });
    expect(fieldSignatures(ModelInferResponse_InferOutputTensorSchema)).toEqual({
      name: "1 string",
      datatype: "2 string",
      shape: "3 repeated int64",
      parameters: "4 map<string, inference.InferParameter>",
      contents: "5 inference.InferTensorContents",
    });
    expect(fieldSignatures(ModelStreamInferResponseSchema)).toEqual({
      error_message: "1 string",
      infer_response: "2 inference.ModelInferResponse",
    });
  });

  it("pins InferParameter with Triton's double and uint64 additions", () => {
    expect(fieldSignatures(InferParameterSchema)).toEqual({
      bool_param: "1 oneof parameter_choice bool",
      int64_param: "2 oneof parameter_choice int64",
      string_param: "3 oneof parameter_choice string",
      double_param: "4 oneof parameter_choice double",
      uint64_param: "5 oneof parameter_choice uint64",
    });
  });

  it("pins InferTensorContents (no FP16/BF16 field: those travel raw)", () => {
    expect(fieldSignatures(InferTensorContentsSchema)).toEqual({
      bool_contents: "1 repeated bool",
      int_contents: "2 repeated int32",
      int64_contents: "3 repeated int64",
      uint_contents: "4 repeated uint32",
      uint64_contents: "5 repeated uint64",
      fp32_contents: "6 repeated float",
      fp64_contents: "7 repeated double",
      bytes_contents: "8 repeated bytes",
    });
  });

  it("pins the Triton extension messages the reference lists", () => {
    expect(fieldSignatures(ModelStatisticsSchema)).toEqual({
      name: "1 string",
      version: "2 string",
      last_inference: "3 uint64",
      inference_count: "4 uint64",
      execution_count: "5 uint64",
      inference_stats: "6 inference.InferStatistics",
      batch_stats: "7 repeated inference.InferBatchStatistics",
      memory_usage: "8 repeated inference.MemoryUsage",
      response_stats: "9 map<string, inference.InferResponseStatistics>",
    });
    expect(fieldSignatures(inference.InferStatisticsSchema)).toEqual({
      success: "1 inference.StatisticDuration",
      fail: "2 inference.StatisticDuration",
      queue: "3 inference.StatisticDuration",
      compute_input: "4 inference.StatisticDuration",
      compute_infer: "5 inference.StatisticDuration",
      compute_output: "6 inference.StatisticDuration",
      cache_hit: "7 inference.StatisticDuration",
      cache_miss: "8 inference.StatisticDuration",
    });
    expect(fieldSignatures(inference.StatisticDurationSchema)).toEqual({
      count: "1 uint64",
      ns: "2 uint64",
    });
    expect(fieldSignatures(inference.RepositoryIndexRequestSchema)).toEqual({
      repository_name: "1 string",
      ready: "2 bool",
    });
    expect(fieldSignatures(inference.RepositoryIndexResponse_ModelIndexSchema)).toEqual({
      name: "1 string",
      version: "2 string",
      state: "3 string",
      reason: "4 string",
    });
    for (const schema of [
      inference.RepositoryModelLoadRequestSchema,
      inference.RepositoryModelUnloadRequestSchema,
    ]) {
      expect(fieldSignatures(schema)).toEqual({
        repository_name: "1 string",
        model_name: "2 string",
        parameters: "3 map<string, inference.ModelRepositoryParameter>",
      });
    }
    expect(fieldSignatures(ModelRepositoryParameterSchema)).toEqual({
      bool_param: "1 oneof parameter_choice bool",
      int64_param: "2 oneof parameter_choice int64",
      string_param: "3 oneof parameter_choice string",
      bytes_param: "4 oneof parameter_choice bytes",
    });
    expect(fieldSignatures(inference.SystemSharedMemoryRegisterRequestSchema)).toEqual({
      name: "1 string",
      key: "2 string",
      offset: "3 uint64",
      byte_size: "4 uint64",
    });
    expect(fieldSignatures(inference.CudaSharedMemoryRegisterRequestSchema)).toEqual({
      name: "1 string",
      raw_handle: "2 bytes",
      device_id: "3 int64",
      byte_size: "4 uint64",
    });
    expect(fieldSignatures(inference.TraceSettingRequestSchema)).toEqual({
      settings: "1 map<string, inference.TraceSettingRequest.SettingValue>",
      model_name: "2 string",
    });
    expect(fieldSignatures(inference.TraceSettingRequest_SettingValueSchema)).toEqual({
      value: "1 repeated string",
    });
    expect(fieldSignatures(inference.LogSettingsRequest_SettingValueSchema)).toEqual({
      bool_param: "1 oneof parameter_choice bool",
      uint32_param: "2 oneof parameter_choice uint32",
      string_param: "3 oneof parameter_choice string",
    });
    expect(fieldSignatures(inference.ModelConfigResponseSchema)).toEqual({
      config: "1 inference.ModelConfig",
    });
  });
});

describe("inference.ModelConfig (Triton common protobuf/model_config.proto, subset)", () => {
  it("keeps Triton's numbers for every field included, and leaves out 12 and 13", () => {
    expect(fieldSignatures(ModelConfigSchema)).toEqual({
      name: "1 string",
      platform: "2 string",
      version_policy: "3 inference.ModelVersionPolicy",
      max_batch_size: "4 int32",
      input: "5 repeated inference.ModelInput",
      output: "6 repeated inference.ModelOutput",
      instance_group: "7 repeated inference.ModelInstanceGroup",
      default_model_filename: "8 string",
      cc_model_filenames: "9 map<string, string>",
      metric_tags: "10 map<string, string>",
      dynamic_batching: "11 oneof scheduling_choice inference.ModelDynamicBatching",
      ensemble_scheduling: "15 oneof scheduling_choice inference.ModelEnsembling",
      parameters: "14 map<string, inference.ModelParameter>",
      model_warmup: "16 repeated inference.ModelWarmup",
      backend: "17 string",
      model_operations: "18 inference.ModelOperations",
      model_transaction_policy: "19 inference.ModelTransactionPolicy",
      batch_input: "20 repeated inference.BatchInput",
      batch_output: "21 repeated inference.BatchOutput",
      model_repository_agents: "23 inference.ModelRepositoryAgents",
      response_cache: "24 inference.ModelResponseCache",
    });
  });

  it("pins inputs, outputs, instance groups and the data types", () => {
    expect(fieldSignatures(ModelInputSchema)).toEqual({
      name: "1 string",
      data_type: "2 inference.DataType",
      format: "3 inference.ModelInput.Format",
      dims: "4 repeated int64",
      reshape: "5 inference.ModelTensorReshape",
      is_shape_tensor: "6 bool",
      allow_ragged_batch: "7 bool",
      optional: "8 bool",
    });
    expect(fieldSignatures(ModelOutputSchema)).toEqual({
      name: "1 string",
      data_type: "2 inference.DataType",
      dims: "3 repeated int64",
      label_filename: "4 string",
      reshape: "5 inference.ModelTensorReshape",
      is_shape_tensor: "6 bool",
    });
    expect(fieldSignatures(ModelInstanceGroupSchema)).toEqual({
      name: "1 string",
      count: "2 int32",
      gpus: "3 repeated int32",
      kind: "4 inference.ModelInstanceGroup.Kind",
      profile: "5 repeated string",
      rate_limiter: "6 inference.ModelRateLimiter",
      passive: "7 bool",
      secondary_devices: "8 repeated inference.ModelInstanceGroup.SecondaryDevice",
      host_policy: "9 string",
    });
    expect(fieldSignatures(inference.ModelDynamicBatchingSchema)).toEqual({
      preferred_batch_size: "1 repeated int32",
      max_queue_delay_microseconds: "2 uint64",
      preserve_ordering: "3 bool",
      priority_levels: "4 uint32",
      default_priority_level: "5 uint32",
      default_queue_policy: "6 inference.ModelQueuePolicy",
      priority_queue_policy: "7 map<uint32, inference.ModelQueuePolicy>",
    });
    expect(fieldSignatures(inference.ModelTransactionPolicySchema)).toEqual({
      decoupled: "1 bool",
    });
    expect(enumValues(inference.DataTypeSchema)).toEqual({
      TYPE_INVALID: 0,
      TYPE_BOOL: 1,
      TYPE_UINT8: 2,
      TYPE_UINT16: 3,
      TYPE_UINT32: 4,
      TYPE_UINT64: 5,
      TYPE_INT8: 6,
      TYPE_INT16: 7,
      TYPE_INT32: 8,
      TYPE_INT64: 9,
      TYPE_FP16: 10,
      TYPE_FP32: 11,
      TYPE_FP64: 12,
      TYPE_STRING: 13,
      TYPE_BF16: 14,
    });
  });
});

describe("inference on the wire", () => {
  // Hand-assembled ModelInferRequest, tag by tag (tag byte = field number << 3 | wire type).
  const handBytes = hex(
    "0a 01 6d", // 1 model_name "m": field 1, wire type 2 (length-delimited)
    "1a 01 72", // 3 id "r"
    "22 0e", // 4 parameters, one map entry of 14 bytes: {"t": {double_param: 0.5}}
    "0a 01 74", //   entry key (1) "t"
    "12 09 21 000000000000e03f", //   entry value (2): double_param is field 4, wire type 1 (64-bit)
    "2a 0d", // 5 inputs, one tensor of 13 bytes
    "0a 01 78", //   name (1) "x"
    "12 05 494e543332", //   datatype (2) "INT32"
    "1a 01 02", //   shape (3), packed [2]
    "3a 08 01000000 02000000", // 7 raw_input_contents: INT32 little-endian 1, 2
  );
  const expected = create(ModelInferRequestSchema, {
    modelName: "m",
    id: "r",
    parameters: { t: { parameterChoice: { case: "doubleParam", value: 0.5 } } },
    inputs: [{ name: "x", datatype: "INT32", shape: [2n] }],
    rawInputContents: [Uint8Array.from([1, 0, 0, 0, 2, 0, 0, 0])],
  });

  it("decodes a hand-assembled ModelInferRequest, proving the field numbers on the wire", () => {
    expect(fromBinary(ModelInferRequestSchema, handBytes)).toEqual(expected);
  });

  it("encodes the same message to exactly those bytes", () => {
    expect(toBinary(ModelInferRequestSchema, expected)).toEqual(handBytes);
  });

  it("round-trips a response with typed contents, raw contents and every parameter kind", () => {
    const response = create(ModelInferResponseSchema, {
      modelName: "simple",
      modelVersion: "1",
      id: "42",
      parameters: {
        b: { parameterChoice: { case: "boolParam", value: true } },
        i: { parameterChoice: { case: "int64Param", value: -7n } },
        s: { parameterChoice: { case: "stringParam", value: "v" } },
        d: { parameterChoice: { case: "doubleParam", value: 1.25 } },
        u: { parameterChoice: { case: "uint64Param", value: 18446744073709551615n } },
      },
      outputs: [
        {
          name: "OUTPUT0",
          datatype: "FP32",
          shape: [1n, 2n],
          contents: { fp32Contents: [1.5, -2] },
        },
      ],
      rawOutputContents: [Uint8Array.from([0, 0, 0xc0, 0x3f])],
    });
    const bytes = toBinary(ModelInferResponseSchema, response);
    expect(fromBinary(ModelInferResponseSchema, bytes)).toEqual(response);
    const stream = create(ModelStreamInferResponseSchema, {
      errorMessage: "",
      inferResponse: response,
    });
    expect(
      fromBinary(ModelStreamInferResponseSchema, toBinary(ModelStreamInferResponseSchema, stream)),
    ).toEqual(stream);
  });

  it("round-trips a ModelConfig and keeps omitted upstream fields as unknown fields", () => {
    const config = create(ModelConfigSchema, {
      name: "simple",
      platform: "onnxruntime_onnx",
      maxBatchSize: 8,
      input: [{ name: "INPUT0", dataType: DataType.TYPE_INT32, dims: [16n] }],
      output: [{ name: "OUTPUT0", dataType: DataType.TYPE_INT32, dims: [16n] }],
      schedulingChoice: { case: "dynamicBatching", value: { preferredBatchSize: [4, 8] } },
      modelTransactionPolicy: { decoupled: false },
    });
    const bytes = toBinary(ModelConfigSchema, config);
    expect(fromBinary(ModelConfigSchema, bytes)).toEqual(config);
    // Field 12 (optimization) as Triton would send it: {priority: PRIORITY_MAX} = 12:{2:1}.
    const withOptimization = Uint8Array.from([...bytes, 0x62, 0x02, 0x10, 0x01]);
    const decoded = fromBinary(ModelConfigSchema, withOptimization);
    expect(toBinary(ModelConfigSchema, decoded)).toEqual(withOptimization);
  });
});

describe("the inference barrel", () => {
  it("exports every message, enum and service of its two files, and nothing else", () => {
    const expected = [file_inference_grpc_service, file_inference_model_config].flatMap(
      generatedExportNames,
    );
    expect(Object.keys(inference).sort()).toEqual(expected.sort());
  });
});
