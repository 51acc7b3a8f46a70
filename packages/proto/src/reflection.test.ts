import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { v1, v1alpha } from "./reflection.js";
import { fieldSignatures, generatedExportNames, methodSignatures } from "./testdata/describe.js";
import { hex } from "./testdata/hex.js";

// Field numbers from grpc/grpc-proto grpc/reflection/v1alpha/reflection.proto; v1 repeats them
// under another package. Caikit registers v1alpha (caikit-tgis.md §2.1); grpcurl tries v1 first.
describe.each([
  ["grpc.reflection.v1", v1],
  ["grpc.reflection.v1alpha", v1alpha],
] as const)("%s", (pkg, edition) => {
  it("has the bidirectional ServerReflectionInfo", () => {
    expect(methodSignatures(edition.ServerReflection)).toEqual({
      [`/${pkg}.ServerReflection/ServerReflectionInfo`]: `bidi_streaming ${pkg}.ServerReflectionRequest -> ${pkg}.ServerReflectionResponse`,
    });
  });

  it("pins the request and response messages", () => {
    expect(fieldSignatures(edition.ServerReflectionRequestSchema)).toEqual({
      host: "1 string",
      file_by_filename: "3 oneof message_request string",
      file_containing_symbol: "4 oneof message_request string",
      file_containing_extension: `5 oneof message_request ${pkg}.ExtensionRequest`,
      all_extension_numbers_of_type: "6 oneof message_request string",
      list_services: "7 oneof message_request string",
    });
    expect(fieldSignatures(edition.ExtensionRequestSchema)).toEqual({
      containing_type: "1 string",
      extension_number: "2 int32",
    });
    expect(fieldSignatures(edition.ServerReflectionResponseSchema)).toEqual({
      valid_host: "1 string",
      original_request: `2 ${pkg}.ServerReflectionRequest`,
      file_descriptor_response: `4 oneof message_response ${pkg}.FileDescriptorResponse`,
      all_extension_numbers_response: `5 oneof message_response ${pkg}.ExtensionNumberResponse`,
      list_services_response: `6 oneof message_response ${pkg}.ListServiceResponse`,
      error_response: `7 oneof message_response ${pkg}.ErrorResponse`,
    });
    expect(fieldSignatures(edition.FileDescriptorResponseSchema)).toEqual({
      file_descriptor_proto: "1 repeated bytes",
    });
    expect(fieldSignatures(edition.ExtensionNumberResponseSchema)).toEqual({
      base_type_name: "1 string",
      extension_number: "2 repeated int32",
    });
    expect(fieldSignatures(edition.ListServiceResponseSchema)).toEqual({
      service: `1 repeated ${pkg}.ServiceResponse`,
    });
    expect(fieldSignatures(edition.ServiceResponseSchema)).toEqual({ name: "1 string" });
    expect(fieldSignatures(edition.ErrorResponseSchema)).toEqual({
      error_code: "1 int32",
      error_message: "2 string",
    });
  });

  it("decodes grpcurl's first question, list_services = '*', from hand-assembled bytes", () => {
    const bytes = hex("3a 01 2a"); // 7 list_services = "*"
    const request = fromBinary(edition.ServerReflectionRequestSchema, bytes);
    expect(request.messageRequest).toEqual({ case: "listServices", value: "*" });
  });

  it("encodes a list_services answer with the response oneof on field 6", () => {
    const response = create(edition.ServerReflectionResponseSchema, {
      messageResponse: {
        case: "listServicesResponse",
        value: { service: [{ name: "fmaas.GenerationService" }] },
      },
    });
    const bytes = toBinary(edition.ServerReflectionResponseSchema, response);
    // 6 (27 bytes) { 1 service (25 bytes) { 1 name "fmaas.GenerationService" (23 bytes) } }
    expect(bytes.subarray(0, 6)).toEqual(hex("32 1b", "0a 19", "0a 17"));
    expect(fromBinary(edition.ServerReflectionResponseSchema, bytes)).toEqual(response);
  });
});

describe("the reflection barrel", () => {
  it("exposes each edition's generated module whole as a namespace", () => {
    const runtimeNames = (ns: object): string[] => Object.keys(ns).sort();
    expect(runtimeNames(v1)).toEqual(
      generatedExportNames(v1.file_grpc_reflection_v1_reflection).sort(),
    );
    expect(runtimeNames(v1alpha)).toEqual(
      generatedExportNames(v1alpha.file_grpc_reflection_v1alpha_reflection).sort(),
    );
  });
});
