/**
 * Which model ids a Caikit mock serves, and the info routes' data about them and the runtime
 * (`/info/models`, `/info/version`, InfoService). Pure state; no I/O.
 *
 * Sources: caikit-tgis.md §1.6 (shapes, module ids), §1.8 (model id semantics per runtime), §0
 * (versions pinned by caikit-tgis-serving).
 */
import { Code } from "@connectrpc/connect";
import type { RuntimeName } from "@servingkit/mock-core";
import { CaikitError, modelNotLoaded } from "./caikit-error.js";

/** The model id a Caikit TGIS mock serves when no `--model` is given (RHOAI docs' example name). */
export const defaultCaikitTgisModel = "flan-t5-small-caikit";
/** The model id a Caikit Standalone mock serves when no `--model` is given. */
export const defaultCaikitStandaloneModel = "all-MiniLM-L12-v2-caikit";

/** A module a model runs with (`module_id`, `module_metadata`). */
export interface CaikitModule {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** The model's `metadata` (public model info). */
  readonly metadata: Readonly<Record<string, number | string>>;
}

/** caikit-nlp's text generation module (the TGIS variant shares id and name, §1.6). */
export const textGenerationModule: CaikitModule = {
  id: "f9181353-4ccf-4572-bd1e-f12bcda26792",
  name: "Text Generation",
  version: "0.1.0",
  metadata: {},
};

/**
 * caikit-nlp's EmbeddingModule (§1.4, §1.6); `metadata` is filled from the served model
 * (`max_seq_length`, `sentence_embedding_dimension`).
 */
export function embeddingModule(maxSeqLength: number, dimension: number): CaikitModule {
  return {
    id: "eeb12558-b4fa-4f34-a9fd-3f5890e9cd3f",
    name: "EmbeddingModule",
    version: "0.0.1",
    metadata: { max_seq_length: maxSeqLength, sentence_embedding_dimension: dimension },
  };
}

/**
 * The runtime's version info: caikit-tgis-serving pins caikit 0.27.7, caikit-nlp 0.5.13 and
 * caikit-tgis-backend 0.1.38 (§0); `runtime_version` is empty unless configured (§1.6).
 */
export const runtimeInfo = {
  runtime_version: "",
  python_packages: { caikit: "0.27.7", caikit_nlp: "0.5.13", caikit_tgis_backend: "0.1.38" },
} as const;

/** One `/info/models` entry, keys in caikit's order. */
export interface ModelInfoEntry {
  readonly model_path: string;
  readonly name: string;
  readonly size: number;
  readonly metadata: Readonly<Record<string, number | string>>;
  readonly loaded: boolean;
  readonly module_id: string;
  readonly module_metadata: { readonly name: string; readonly version: string };
}

/** The served ids of one mock. */
export class ModelRegistry {
  readonly #loaded = new Set<string>();
  /**
   * @param runtime `caikit-tgis` loads any id on first use (TGIS-AUTO finder, §1.8, derived);
   *   `caikit-standalone` serves only the configured ids
   * @param configured ids from `--model` (empty: the runtime's default id)
   */
  constructor(
    readonly runtime: RuntimeName,
    configured: readonly string[],
    readonly module: CaikitModule,
  ) {
    const ids =
      configured.length > 0
        ? configured
        : [runtime === "caikit-standalone" ? defaultCaikitStandaloneModel : defaultCaikitTgisModel];
    for (const id of ids) this.#loaded.add(id);
  }

  /** The ids loaded now, in load order. */
  get ids(): readonly string[] {
    return [...this.#loaded];
  }

  /** Resolves a request's model id, loading it where the runtime would; throws NOT_FOUND. */
  use(modelId: string): string {
    if (this.#loaded.has(modelId)) return modelId;
    if (this.runtime === "caikit-tgis") {
      this.#loaded.add(modelId);
      return modelId;
    }
    throw modelNotLoaded(modelId);
  }

  /**
   * `/info/models` entries for `ids` (all loaded ones when empty); an unknown id fails with
   * 404 / NOT_FOUND "Model <id> is not loaded" (§1.6).
   */
  info(ids: readonly string[] = []): ModelInfoEntry[] {
    const wanted = ids.length > 0 ? ids : this.ids;
    return wanted.map((id) => {
      if (!this.#loaded.has(id)) {
        throw new CaikitError(`Model ${id} is not loaded`, 404, Code.NotFound);
      }
      return {
        model_path: `/mnt/models/${id}`,
        name: id,
        size: 0,
        metadata: { ...this.module.metadata },
        loaded: true,
        module_id: this.module.id,
        module_metadata: { name: this.module.name, version: this.module.version },
      };
    });
  }
}
