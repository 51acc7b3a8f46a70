/**
 * `grpc.health.v1`: the standard gRPC health service that Triton and the Caikit runtime serve
 * (TGIS does not). The mock host answers it from its readiness state.
 *
 * @packageDocumentation
 */
export {
  file_grpc_health_v1_health,
  Health,
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponse_ServingStatusSchema,
  HealthCheckResponseSchema,
  type HealthListRequest,
  HealthListRequestSchema,
  type HealthListResponse,
  HealthListResponseSchema,
} from "./gen/grpc/health/v1/health_pb.js";
