/**
 * Which model ids a Caikit mock serves, and the info routes' data about them and the runtime
 * (`/info/models`, `/info/version`, InfoService). Pure state; no I/O.
 *
 * Sources: caikit-tgis.md §1.6 (shapes, module ids), §1.8 (model id semantics per runtime), §0
 * (versions pinned by caikit-tgis-serving).
 */
import { Code } from "@connectrpc/connect";
import type { RuntimeName } from "@servingkit/mock-core/host";
import { CaikitError, modelNotLoaded } from "./caikit-error.js";

/** The model id a Caikit TGIS mock serves when no `--model` is given (RHOAI docs' example name). */
export const defaultCaikitTgisModel = "flan-t5-small-caikit";
/** The model id a Caikit Standalone mock serves when no `--model` is given. */
export const defaultCaikitStandaloneModel = "all-MiniLM-L12-v2-caikit";

/**
 * Which task family a module's model serves: `text-generation` (TextGenerationTGIS: text
 * generation and tokenization), `embedding` (EmbeddingModule: embeddings, sentence similarity,
 * rerank, tokenization), `text-classification` (SequenceClassification),
 * `token-classification` (FilteredSpanClassification).
 */
export type CaikitModuleKind =
  | "text-generation"
  | "local-text-generation"
  | "embedding"
  | "text-classification"
  | "token-classification";

/** A module a model runs with (`module_id`, `module_metadata`). */
export interface CaikitModule {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** The model's `metadata` (public model info). */
  readonly metadata: Readonly<Record<string, number | string>>;
  /** The tasks its models serve. */
  readonly kind: CaikitModuleKind;
  /** The Python class, as `str(type(model))` shows it in caikit's "does not support" error. */
  readonly pythonClass: string;
}

/**
 * caikit-nlp's text generation module behind Caikit TGIS (`TextGenerationTGIS`; it shares id
 * and name with the local module, §1.6).
 */
export const textGenerationModule: CaikitModule = {
  id: "f9181353-4ccf-4572-bd1e-f12bcda26792",
  name: "Text Generation",
  version: "0.1.0",
  metadata: {},
  kind: "text-generation",
  pythonClass: "caikit_nlp.modules.text_generation.text_generation_tgis.TextGenerationTGIS",
};

/**
 * caikit-nlp's local `TextGeneration` (text_generation_local.py; same module id and name as the
 * TGIS variant, §1.6), which runs the model in process: unary text generation only.
 */
export const localTextGenerationModule: CaikitModule = {
  ...textGenerationModule,
  kind: "local-text-generation",
  pythonClass: "caikit_nlp.modules.text_generation.text_generation_local.TextGeneration",
};

/**
 * caikit-nlp's `SequenceClassification` (TextClassificationTask; module id, name and version
 * from `caikit_nlp/modules/text_classification/sequence_classification.py`).
 */
export const sequenceClassificationModule: CaikitModule = {
  id: "d21107ca-d579-4321-aedd-3099a526e0dd",
  name: "Sequence classification",
  version: "0.1.0",
  metadata: {},
  kind: "text-classification",
  pythonClass:
    "caikit_nlp.modules.text_classification.sequence_classification.SequenceClassification",
};

/**
 * caikit-nlp's `FilteredSpanClassification` (TokenClassificationTask; module id, name and
 * version from `caikit_nlp/modules/token_classification/filtered_span_classification.py`).
 */
export const filteredSpanClassificationModule: CaikitModule = {
  id: "42a7d920-8b7e-4e1f-81fb-8ab851a80c99",
  name: "Filtered span classification",
  version: "0.1.0",
  metadata: {},
  kind: "token-classification",
  pythonClass:
    "caikit_nlp.modules.token_classification.filtered_span_classification.FilteredSpanClassification",
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
    kind: "embedding",
    pythonClass: "caikit_nlp.modules.text_embedding.embedding.EmbeddingModule",
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

/** The model ids a Caikit runtime serves when no `--model` is given. */
export function defaultCaikitModels(runtime: RuntimeName): readonly string[] {
  return [runtime === "caikit-standalone" ? defaultCaikitStandaloneModel : defaultCaikitTgisModel];
}

/** The served ids of one mock, each with the module its model runs with. */
export class ModelRegistry {
  readonly #loaded = new Map<string, CaikitModule>();
  /**
   * @param runtime `caikit-tgis` loads any id on first use as a TGIS text generation model
   *   (TGIS-AUTO finder, §1.8, derived); `caikit-standalone` serves only the configured ids
   * @param configured ids from `--model` (empty: the runtime's default id), served by `module`
   * @param module the runtime's main module
   * @param others more models with their own modules (the classification models)
   */
  constructor(
    readonly runtime: RuntimeName,
    configured: readonly string[],
    readonly module: CaikitModule,
    others: readonly { readonly id: string; readonly module: CaikitModule }[] = [],
  ) {
    const ids = configured.length > 0 ? configured : defaultCaikitModels(runtime);
    for (const id of ids) this.#loaded.set(id, module);
    for (const other of others) this.#loaded.set(other.id, other.module);
  }

  /** The ids loaded now, in load order. */
  get ids(): readonly string[] {
    return [...this.#loaded.keys()];
  }

  /**
   * Resolves a request's model id to its model's module, loading it where the runtime would;
   * throws NOT_FOUND.
   */
  use(modelId: string): CaikitModule {
    const known = this.#loaded.get(modelId);
    if (known) return known;
    if (this.runtime === "caikit-tgis") {
      this.#loaded.set(modelId, textGenerationModule);
      return textGenerationModule;
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
      const module = this.#loaded.get(id);
      if (!module) {
        throw new CaikitError(`Model ${id} is not loaded`, 404, Code.NotFound);
      }
      return {
        model_path: `/mnt/models/${id}`,
        name: id,
        size: 0,
        metadata: { ...module.metadata },
        loaded: true,
        module_id: module.id,
        module_metadata: { name: module.name, version: module.version },
      };
    });
  }
}
