/**
 * gRPC server reflection in both editions a server may be asked for: `grpc.reflection.v1`
 * (current; grpcurl and buf curl try it first) and `grpc.reflection.v1alpha` (older; the only one
 * the Caikit runtime registers, and what caikit-nlp-client uses). The two editions declare the
 * same message and service names, so each is exported as a namespace:
 *
 * ```ts
 * import { v1, v1alpha } from "@servingkit/proto/reflection";
 * const req: v1.ServerReflectionRequest = create(v1.ServerReflectionRequestSchema, {});
 * router.service(v1alpha.ServerReflection, impl);
 * ```
 *
 * Each namespace holds the edition's file descriptor (`file_grpc_reflection_v1_reflection` /
 * `file_grpc_reflection_v1alpha_reflection`), the service `ServerReflection`, and every message
 * as a type, a `...Schema` and a `...Json` type.
 *
 * @packageDocumentation
 */

/** `grpc.reflection.v1`: the current edition of the reflection service and its messages. */
export * as v1 from "./gen/grpc/reflection/v1/reflection_pb.js";

/** `grpc.reflection.v1alpha`: the older edition, same messages and field numbers as `v1`. */
export * as v1alpha from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
