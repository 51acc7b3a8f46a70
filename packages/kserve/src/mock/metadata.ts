/**
 * Server and model metadata as each runtime shows them (kserve-v2.md §1.2, §1.3, §3): pure
 * functions from the profile and a model to the JSON body, in the wire types the client reads;
 * the gRPC adapter converts the same objects.
 */
import type { ModelMetadata, TensorMetadata } from "../kserve-client.js";
import { type MockModel, metadataShape } from "./models.js";
import type { KserveProfile } from "./profiles.js";

/** `GET /v2`: `{name, version, extensions}`; OVMS has no `extensions` key (kserve-v2.md §3.3). */
export function serverMetadata(profile: KserveProfile): Record<string, unknown> {
  return {
    name: profile.serverName,
    version: profile.serverVersion,
    ...(profile.extensions ? { extensions: profile.extensions } : {}),
  };
}

/**
 * A model's metadata. `versions`: Triton and OVMS list the requested version, else every served
 * version (kserve-v2.md §3.1); MLServer lists its settings' `versions` field whatever was asked
 * (mlserver/model.py `metadata()`), empty unless configured.
 */
export function modelMetadata(
  profile: KserveProfile,
  model: MockModel,
  version: string | undefined,
): ModelMetadata {
  const versions =
    profile.versionsInMetadata === "listed"
      ? (model.listedVersions ?? [])
      : version !== undefined
        ? [version]
        : model.versions;
  const tensor = (spec: MockModel["inputs"][number]): TensorMetadata => ({
    name: spec.name,
    datatype: spec.datatype,
    shape: metadataShape(model, spec),
  });
  return {
    name: model.name,
    versions,
    platform: model.platform,
    inputs: model.inputs.map(tensor),
    outputs: model.outputs.map(tensor),
  };
}
