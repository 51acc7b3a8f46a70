/**
 * ModelMesh mode (`--modelmesh`, kserve-v2.md §3.4): a runtime as clients reach it on the
 * multi-model serving platform, behind ModelMesh's gRPC routing (its REST proxy is
 * `modelmesh-rest-proxy.ts`). The runtime serves each model under ModelMesh's internal id;
 * ModelMesh resolves the name a client sends (a "vmodel" id, from `model_name` or the
 * `mm-vmodel-id` / `mm-model-id` headers) to that id. Sources: kserve/modelmesh
 * `ModelMeshApi.java` (id headers, texts), `VModelManager.java`; kserve/modelmesh-serving
 * `controllers/modelmesh/cluster_config.go` (the data-plane config: ModelInfer and ModelMetadata
 * take the id from field 1 as a vmodel id, other RPCs need a header).
 */
import { createHash } from "node:crypto";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { ModelInferRequest } from "@servingkit/proto/inference";
import type { InferenceHandlers } from "./grpc.js";

/**
 * ModelMesh's internal id of a model served under `name`, in the form kserve-v2.md §3.4 shows
 * (`example-mnist-isvc__ksp-7702c1b55a`): the name, `__ksp-` and ten hex digits (here a hash of
 * the name, so it is stable across runs).
 */
export function modelmeshModelId(name: string): string {
  return `${name}__ksp-${createHash("sha256").update(name).digest("hex").slice(0, 10)}`;
}

/** The vmodel → model id table ModelMesh resolves names with. */
export class ModelMeshIds {
  readonly #byVmodel = new Map<string, string>();
  readonly #ids = new Set<string>();

  /** `names`: the served (vmodel) names. */
  constructor(names: readonly string[]) {
    for (const name of names) {
      const id = modelmeshModelId(name);
      this.#byVmodel.set(name, id);
      this.#ids.add(id);
    }
  }

  /** A vmodel id to its model id; NOT_FOUND `vmodel not found` (VModelManager `resolveVModelId`). */
  vmodel(name: string): string {
    const id = this.#byVmodel.get(name);
    if (id === undefined) throw new ConnectError("vmodel not found", Code.NotFound);
    return id;
  }

  /** A model id as `mm-model-id` names it; NOT_FOUND `model not found` (ModelNotFoundException). */
  model(id: string): string {
    if (!this.#ids.has(id)) throw new ConnectError("model not found", Code.NotFound);
    return id;
  }

  /**
   * The model id of a call from its headers (ModelMeshApi `getModelIdsFromHeaders`): `mm-vmodel-id`
   * or `mm-model-id` (or their `-bin` forms), not both; neither is INVALID_ARGUMENT.
   */
  fromHeaders(headers: Headers): string {
    const model = headers.get("mm-model-id") ?? binHeader(headers, "mm-model-id-bin");
    const vmodel = headers.get("mm-vmodel-id") ?? binHeader(headers, "mm-vmodel-id-bin");
    if (vmodel === null) {
      const legacy = model ?? headers.get("tas-model-id");
      if (legacy === null) {
        throw new ConnectError("must include mm-model-id header", Code.InvalidArgument);
      }
      return this.model(legacy);
    }
    if (model !== null) {
      throw new ConnectError(
        "must include only one of model id and vmodel id",
        Code.InvalidArgument,
      );
    }
    return this.vmodel(vmodel);
  }

  /** The model id of ModelInfer / ModelMetadata: field 1 as a vmodel id, else the headers. */
  fromField(value: string, headers: Headers): string {
    return value !== "" ? this.vmodel(value) : this.fromHeaders(headers);
  }
}

/** A `-bin` metadata value (base64 on the wire) as text, or null. */
function binHeader(headers: Headers, name: string): string | null {
  const value = headers.get(name);
  return value === null ? null : Buffer.from(value, "base64").toString("utf8");
}

type Unary = (request: never, context: HandlerContext) => unknown;

/**
 * The runtime's handlers behind ModelMesh: ModelInfer and ModelMetadata resolve field 1 (a vmodel
 * id) and reach the runtime with the model id in its place; every other unary RPC needs an id
 * header (`allowOtherRpcs`) and reaches the runtime unchanged. ModelMesh proxies unary calls
 * only, so ModelStreamInfer is not served (UNIMPLEMENTED).
 */
export function modelmeshHandlers(
  handlers: InferenceHandlers,
  ids: ModelMeshIds,
): InferenceHandlers {
  const source = handlers as Record<string, Unary | undefined>;
  const out: Record<string, Unary> = {};
  for (const [name, handle] of Object.entries(source)) {
    if (!handle || name === "modelStreamInfer") continue;
    if (name === "modelInfer") {
      out[name] = ((request: ModelInferRequest, context: HandlerContext) =>
        handle(
          {
            ...request,
            modelName: ids.fromField(request.modelName, context.requestHeader),
          } as never,
          context,
        )) as Unary;
    } else if (name === "modelMetadata") {
      out[name] = ((request: { name: string }, context: HandlerContext) =>
        handle(
          { ...request, name: ids.fromField(request.name, context.requestHeader) } as never,
          context,
        )) as Unary;
    } else {
      out[name] = ((request: never, context: HandlerContext) => {
        ids.fromHeaders(context.requestHeader);
        return handle(request, context);
      }) as Unary;
    }
  }
  return out as InferenceHandlers;
}
