import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import * as health from "./health.js";
import {
  file_grpc_health_v1_health,
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "./health.js";
import {
  enumValues,
  fieldSignatures,
  generatedExportNames,
  methodSignatures,
} from "./testdata/describe.js";
import { hex } from "./testdata/hex.js";

// Numbers from the gRPC health checking protocol (grpc/grpc-proto grpc/health/v1/health.proto);
// Triton and the Caikit runtime serve it (kserve-v2.md §4.1, caikit-tgis.md §2.1).
describe("grpc.health.v1.Health", () => {
  it("has Check, List and the server-streaming Watch", () => {
    expect(methodSignatures(Health)).toEqual({
      "/grpc.health.v1.Health/Check":
        "unary grpc.health.v1.HealthCheckRequest -> grpc.health.v1.HealthCheckResponse",
      "/grpc.health.v1.Health/List":
        "unary grpc.health.v1.HealthListRequest -> grpc.health.v1.HealthListResponse",
      "/grpc.health.v1.Health/Watch":
        "server_streaming grpc.health.v1.HealthCheckRequest -> grpc.health.v1.HealthCheckResponse",
    });
  });

  it("pins the messages and the serving status values", () => {
    expect(fieldSignatures(health.HealthCheckRequestSchema)).toEqual({ service: "1 string" });
    expect(fieldSignatures(HealthCheckResponseSchema)).toEqual({
      status: "1 grpc.health.v1.HealthCheckResponse.ServingStatus",
    });
    expect(fieldSignatures(health.HealthListResponseSchema)).toEqual({
      statuses: "1 map<string, grpc.health.v1.HealthCheckResponse>",
    });
    expect(enumValues(health.HealthCheckResponse_ServingStatusSchema)).toEqual({
      UNKNOWN: 0,
      SERVING: 1,
      NOT_SERVING: 2,
      SERVICE_UNKNOWN: 3,
    });
  });

  it("encodes SERVING as field 1 = 1", () => {
    const response = create(HealthCheckResponseSchema, {
      status: HealthCheckResponse_ServingStatus.SERVING,
    });
    expect(toBinary(HealthCheckResponseSchema, response)).toEqual(hex("08 01"));
    expect(fromBinary(HealthCheckResponseSchema, hex("08 02")).status).toBe(
      HealthCheckResponse_ServingStatus.NOT_SERVING,
    );
  });

  it("the barrel exports every message, enum and service of health.proto", () => {
    expect(Object.keys(health).sort()).toEqual(
      generatedExportNames(file_grpc_health_v1_health).sort(),
    );
  });
});
