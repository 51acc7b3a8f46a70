/**
 * `@servingkit/caikit`: the client of the Caikit NLP runtime (Caikit TGIS, Caikit Standalone):
 * every task caikit-nlp serves (text generation unary and streaming, tokenization, embeddings,
 * sentence similarity, rerank) and the info calls, with one API over REST and gRPC: the
 * transport is an option, not a different client. The mock runtime is the `./mock` subpath.
 *
 * @packageDocumentation
 */
import type { ClientOptions, GrpcClientOptions } from "@servingkit/client-core";
import type { CaikitClient } from "./caikit-types.js";
import { createCaikitGrpcClient } from "./grpc-client.js";
import { createCaikitRestClient } from "./rest-client.js";

export type * from "./caikit-types.js";
export { createCaikitGrpcClient, grpcTextParameters } from "./grpc-client.js";
export { createCaikitRestClient, restParameters } from "./rest-client.js";

/** Options of {@link createCaikitClient}: client-core's REST or gRPC options plus the choice. */
export type CaikitClientOptions =
  | ({ readonly transport?: "rest" } & ClientOptions)
  | ({ readonly transport: "grpc" } & GrpcClientOptions);

/**
 * Creates a caikit client. REST (default) takes `baseUrl` (the InferenceService URL); gRPC takes
 * `address` (`host:8085` h2c or `https://host:443`). Both take `token` and `tls`; gRPC calls send
 * the model id as `mm-model-id` for you.
 *
 * @example
 * const caikit = createCaikitClient({ baseUrl: "https://flan-my-project.apps.example.com", token });
 * const { generatedText } = await caikit.generateText("flan-t5-small-caikit", "Hello", { maxNewTokens: 20 });
 */
export function createCaikitClient(options: CaikitClientOptions): CaikitClient {
  if (options.transport === "grpc") {
    const { transport: _, ...grpc } = options;
    return createCaikitGrpcClient(grpc);
  }
  const { transport: _, ...rest } = options;
  return createCaikitRestClient(rest);
}
