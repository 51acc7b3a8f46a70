/**
 * Triton's model control (kserve-v2.md §3.1 "Triton extensions"; core
 * `model_repository_manager.cc`, `model_lifecycle.cc`, server `http_server.cc`,
 * `grpc_server.cc`): which models of the repository are loaded, the state and reason of each
 * version, and the load / unload requests that change them. Pure state and logic; the REST and
 * gRPC adapters render what it answers and throw what it refuses.
 *
 * Modes, as Triton's `--model-control-mode`: `none` (the default, and the platform's templates)
 * loads every model at start and refuses load/unload; `explicit` loads only the `--load-model`
 * names at start and then whatever load requests name; `poll` loads every model at start, refuses
 * load/unload as `none` does, and reads the repository again every `--repository-poll-secs`
 * (added folders load, removed ones unload, changed ones reload: {@link ModelRepository.poll}).
 */
import { type Clock, realClock } from "@servingkit/mock-core/host";
import { type Datatype, isDatatype } from "../datatypes.js";
import { InferFault } from "./fault.js";
import { findModel } from "./infer.js";
import type { MockModel, TensorSpec } from "./models.js";
import type { KserveProfile } from "./profiles.js";
import { failedVersions, loadFailure, policyFailure, pollFailure, repoll } from "./repository.js";

/** Triton's `--model-control-mode` values the mock serves. */
export type ModelControlMode = "none" | "explicit" | "poll";

/**
 * Load/unload while model control is off: UNAVAILABLE (HTTP 503) with this text (core
 * model_repository_manager.cc `LoadUnloadModel`, whatever the reason control is off).
 */
export const modelControlRefusal =
  "explicit model load / unload is not allowed if polling is enabled";

/** `/v2/repository/{repo}/...` and `repository_name`: UNSUPPORTED (server http_server.cc, grpc_server.cc). */
export const repositoryNameRefusal = "'repository_name' specification is not supported";

/** Version state reason after an unload (core model_lifecycle.cc). */
export const unloadedReason = "unloaded";

/** One repository index entry: `version`, `state` and `reason` only where Triton has them (core tritonserver.cc). */
export interface IndexEntry {
  /** Model name. */
  readonly name: string;
  /** Version; absent for a model of the repository that was never loaded. */
  readonly version?: string;
  /** `READY` or `UNAVAILABLE`; absent for a model never loaded. */
  readonly state?: string;
  /** Why not ready (Triton `unloaded`, absent when empty; MLServer always `""`). */
  readonly reason?: string;
}

/** A load request's parameters, as REST and gRPC carry them. */
export type LoadParameters = Readonly<Record<string, string | boolean | number | Uint8Array>>;

interface Loaded {
  /** The model as loaded (a config override may have changed it). */
  readonly model: MockModel;
  /** False after an unload: its versions stay listed as UNAVAILABLE "unloaded". */
  ready: boolean;
  /** When its load ends, on the repository's clock (ms); 0 once loaded. */
  readyAt: number;
  /** Why its last load failed (the version state reason); absent when it did not. */
  failure?: string;
  /**
   * Triton: versions of earlier loads that the current one does not hold (a reload under a new
   * version policy, or after new version folders): `OnLoadFinal` releases them, and the lifecycle
   * keeps them UNAVAILABLE `unloaded` (index rows; a request naming one is `not at ready state`).
   */
  retired?: readonly string[];
}

/**
 * Triton's answer to a load that fails in the backend (core model_repository_manager.cc
 * `LoadUnloadModels`: INVALID_ARG `load failed for model '<m>': ` + each failed version's `version
 * <v> is at UNAVAILABLE state: <reason>;` (model_lifecycle.cc `OnLoadComplete`), ending in a
 * newline; qa L0_lifecycle, trt_error_propagation). `failed`: [version, reason] pairs.
 */
export function loadFailedMessage(
  name: string,
  failed: ReadonlyArray<readonly [version: string, reason: string]>,
): string {
  const states = failed.map(([v, reason]) => `version ${v} is at UNAVAILABLE state: ${reason};`);
  return `load failed for model '${name}': ${states.join("")}\n`;
}

/**
 * Why the start stops (Triton's `--exit-on-error`, on by default): the log lines of each model
 * that failed (core model_repository_manager.cc `Poll`: `Poll failed for model directory '<m>':
 * <reason>`; model_lifecycle.cc `CreateModel`: `failed to load '<m>' version <v>: <reason>`), then
 * the line tritonserver prints as it exits (server main.cc `FAIL_IF_ERR(TRITONSERVER_ServerNew(...),
 * "creating server")` with `ModelRepositoryManager::Create`'s INTERNAL `failed to load all models`).
 */
export function startFailedMessage(details: readonly string[]): string {
  return `${details.join("\n")}\nerror: creating server: Internal - failed to load all models`;
}

/**
 * How long loads take and what server readiness waits for (the mock's `--load-delay` and
 * Triton's `--strict-readiness`).
 */
export interface LoadTiming {
  /** Milliseconds each model takes to load; default 0 (at once). */
  readonly loadDelayMs?: number;
  /**
   * Triton `--strict-readiness` (default true): the server is ready only while every loaded model
   * is (core server.cc `InferenceServer::IsReady`). False: model states leave server readiness
   * alone. MLServer and OVMS are always strict (dataplane.py `ready`; OVMS server.cpp starts the
   * servable manager last and is ready once it has loaded).
   */
  readonly strictReadiness?: boolean;
  /**
   * Triton `--exit-on-error` (default true): a model loaded at start that fails its poll or its
   * load stops the start ({@link startFailedMessage}); false: the server starts without it (core
   * server.cc `Init` goes on when the repository manager exists), a failed load listed UNAVAILABLE
   * with its reason, a failed poll by name alone.
   */
  readonly exitOnError?: boolean;
  /**
   * Triton `--repository-poll-secs` in poll mode, in milliseconds: how often the repository is
   * read again (Triton's default 15 s); 0 polls never (Triton starts no polling thread).
   */
  readonly repositoryPollMs?: number;
}

/** Triton's default `--repository-poll-secs` (15 s), in milliseconds. */
export const defaultRepositoryPollMs = 15_000;

/** Told whether every loaded model is ready, each time that changes. */
export type LoadListener = (allReady: boolean) => void;

const failedPoll = (model: string) =>
  new InferFault("internal", `failed to load '${model}', failed to poll from model repository`);

/**
 * The models of a mock's repository and their load state. Triton: in `none` mode every model is
 * loaded and stays so; in `explicit` mode the state follows load and unload requests. MLServer
 * (`profile.modelControl === "mlserver"`): every model is loaded at start and load/unload are
 * always served, with MLServer's semantics (mlserver/handlers/model_repository.py).
 */
export class ModelRepository {
  readonly #profile: KserveProfile;
  /** Every model of the repository as last read (a load request reads its folder again). */
  readonly #repository: MockModel[];
  readonly #loaded = new Map<string, Loaded>();
  /** The ready models, rebuilt on every load and unload (inference reads it on each request). */
  #served: MockModel[] = [];
  /** MLServer's repository semantics rather than Triton's. */
  readonly #mlserver: boolean;
  /** The mode load/unload requests meet (MLServer: always explicit). */
  readonly mode: ModelControlMode;
  readonly #delayMs: number;
  /** Whether server readiness follows the models' (see {@link LoadTiming.strictReadiness}). */
  readonly strictReadiness: boolean;
  /** The host's clock, from {@link start}; until then loads are instant. */
  #clock: Clock | undefined;
  /** The earliest `readyAt` still ahead (Infinity: nothing loading). */
  #nextReadyAt = Number.POSITIVE_INFINITY;
  /** Loads under way, by model: resolved when each ends. */
  readonly #pending = new Map<string, Promise<void>>();
  readonly #listeners = new Set<LoadListener>();
  /** Reads the whole repository again (poll mode, MLServer loads and index); undefined: never. */
  readonly #reread: (() => readonly MockModel[]) | undefined;
  readonly #pollMs: number;
  /** Lists the repository's model folders now (the first repository model's; see #folderNames). */
  #folders: (() => readonly string[]) | undefined;

  /**
   * `models`: the repository (every model the mock could serve); `startup`: the names loaded at
   * start in explicit mode (`--load-model`, `*` for all; unknown names are skipped, as Triton
   * logs and skips them); `reread`: reads the repository from its folder again (Triton's poll
   * mode; MLServer's load and index, which list `model-settings.json` files anew each time).
   */
  constructor(
    profile: KserveProfile,
    models: readonly MockModel[],
    mode: ModelControlMode = "none",
    startup: readonly string[] = [],
    timing: LoadTiming = {},
    reread?: () => readonly MockModel[],
  ) {
    this.#profile = profile;
    this.#reread = reread;
    this.#pollMs = timing.repositoryPollMs ?? defaultRepositoryPollMs;
    this.#delayMs = timing.loadDelayMs ?? 0;
    this.strictReadiness = timing.strictReadiness ?? true;
    this.#repository = [...models];
    this.#mlserver = profile.modelControl === "mlserver";
    this.mode = this.#mlserver ? "explicit" : mode;
    const all = mode !== "explicit" || this.#mlserver || startup.includes("*");
    // MLServer's load_models_at_startup false (cli/serve.py load_settings) loads none at start.
    const names = (all ? models.map((m) => m.name) : startup).filter(
      (name) => models.find((m) => m.name === name)?.loadAtStartup !== false,
    );
    // Start-up loads (core model_repository_manager.cc Create: every model in mode none or with
    // `*`, else the --load-model names); any failure fails the start unless --exit-on-error=false.
    const failures: string[] = [];
    for (const name of names) {
      const model = models.find((m) => m.name === name);
      if (model === undefined) continue;
      const unpolled = pollFailure(model);
      const noVersion = policyFailure(model);
      const failure = loadFailure(model);
      if (unpolled !== undefined) {
        failures.push(`Poll failed for model directory '${name}': ${unpolled}`);
      } else if (noVersion !== undefined) {
        // LoadModelByDependency logs AsyncLoad's refusal; the model enters the lifecycle with no
        // version (AsyncLoad adds its entry before VersionsToLoad), so the index lists no row.
        failures.push(`failed to load model '${name}': ${noVersion}`);
        this.#loaded.set(name, { model, ready: false, readyAt: 0, failure: noVersion });
      } else if (failure !== undefined) {
        for (const [v, reason] of failedVersions(model, failure))
          failures.push(`failed to load '${name}' version ${v}: ${reason}`);
        this.#loaded.set(name, { model, ready: false, readyAt: 0, failure });
      } else this.#loaded.set(name, { model, ready: true, readyAt: 0 });
    }
    if (failures.length > 0 && (timing.exitOnError ?? true)) {
      throw new Error(startFailedMessage(failures));
    }
    this.#update();
  }

  /**
   * Starts the clock of loads (the host's, known when the first adapter registers): with a load
   * delay, MLServer and OVMS load their start-up models now, serving meanwhile (MLServer's
   * servers start beside the loads, mlserver/server.py; OVMS starts its servable manager after
   * its gRPC and REST servers, src/server.cpp `startModules`). Triton loads its start-up models
   * before it opens its ports (its endpoints start after `TRITONSERVER_ServerNew` returns), so
   * its delay applies to load requests only. In poll mode the polls start now, every
   * `repositoryPollMs` on `clock` until `stop` aborts ({@link pollEvery}). Later calls do nothing.
   */
  start(clock: Clock, stop?: AbortSignal): void {
    if (this.#clock !== undefined) return;
    this.#clock = clock;
    if (this.mode === "poll" && this.#reread !== undefined && this.#pollMs > 0) {
      pollEvery(clock, this.#pollMs, () => this.poll(), stop);
    }
    if (this.#delayMs <= 0 || this.#profile.modelControl === "triton") return;
    for (const [name, loaded] of this.#loaded) this.#beginLoad(name, loaded);
    this.#update();
  }

  /** Subscribes to "every loaded model ready" changes; returns the unsubscribe function. */
  onReadiness(listener: LoadListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether every loaded model is ready (no load under way). */
  allReady(): boolean {
    this.#refresh();
    return this.#nextReadyAt === Number.POSITIVE_INFINITY;
  }

  /** Resolves when the model's load under way ends (at once when none is). */
  settled(name: string): Promise<void> {
    return this.#pending.get(name) ?? Promise.resolve();
  }

  /**
   * Waits as OVMS inference waits for a version that is still loading
   * (`ModelInstance::waitForLoaded`): resolves when the load ends or after `timeoutMs` (ms, on
   * the repository's clock), whichever comes first; the caller then looks the model up again,
   * served or refused. Undefined when there is nothing to wait for (no load of that model under
   * way, or a version it lacks, refused at once as `getModelInstance` refuses it): one comparison
   * while no load is under way anywhere.
   */
  loadWait(
    name: string,
    version: string | undefined,
    timeoutMs: number,
  ): Promise<void> | undefined {
    if (this.#nextReadyAt === Number.POSITIVE_INFINITY) return undefined;
    const loaded = this.#loaded.get(name);
    const clock = this.#clock;
    if (loaded === undefined || clock === undefined || !loaded.ready || !this.#loading(loaded)) {
      return undefined;
    }
    if (version !== undefined && version !== "" && !loaded.model.versions.includes(version)) {
      return undefined;
    }
    const left = loaded.readyAt - clock.now();
    if (left > timeoutMs) return clock.sleep(timeoutMs);
    // Until the load's end, then until its bookkeeping has run (the timers may wake in any order).
    return clock.sleep(left).then(() => this.settled(name));
  }

  /** Marks a load under way until the delay passes, and schedules its end. */
  #beginLoad(name: string, loaded: Loaded): void {
    const clock = this.#clock;
    if (clock === undefined || this.#delayMs <= 0) return;
    const wasAllReady = this.#nextReadyAt === Number.POSITIVE_INFINITY;
    const until = clock.now() + this.#delayMs;
    loaded.readyAt = until;
    const done = clock.sleep(this.#delayMs).then(() => {
      if (this.#pending.get(name) === done) this.#pending.delete(name);
      // The timer may wake a hair before the clock reads `until`: the load has ended all the same.
      if (loaded.readyAt === until) loaded.readyAt = 0;
      this.#update();
    });
    this.#pending.set(name, done);
    this.#nextReadyAt = Math.min(this.#nextReadyAt, loaded.readyAt);
    if (wasAllReady) this.#tell(false);
  }

  #tell(allReady: boolean): void {
    for (const listener of [...this.#listeners]) listener(allReady);
  }

  #update(): void {
    const now = this.#clock?.now() ?? 0;
    const wasAllReady = this.#nextReadyAt === Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    const served: MockModel[] = [];
    for (const loaded of this.#loaded.values()) {
      if (loaded.readyAt !== 0 && loaded.readyAt <= now) loaded.readyAt = 0;
      if (loaded.readyAt !== 0) next = Math.min(next, loaded.readyAt);
      else if (loaded.ready) served.push(loaded.model);
    }
    this.#served = served;
    this.#nextReadyAt = next;
    const allReady = next === Number.POSITIVE_INFINITY;
    if (allReady !== wasAllReady) this.#tell(allReady);
  }

  /** Ends the loads whose time has come (one comparison while none is under way). */
  #refresh(): void {
    const next = this.#nextReadyAt;
    if (next !== Number.POSITIVE_INFINITY && (this.#clock?.now() ?? 0) >= next) this.#update();
  }

  /** Whether a model's load is under way. */
  #loading(loaded: Loaded): boolean {
    return loaded.readyAt !== 0 && (this.#clock?.now() ?? 0) < loaded.readyAt;
  }

  /** The loaded, ready models (what metadata, inference and statistics can reach). */
  served(): readonly MockModel[] {
    this.#refresh();
    return this.#served;
  }

  /**
   * The model and version a request names, or the runtime's refusal: never loaded → unknown model
   * (404); Triton, unloaded or loading → `has no available versions` (404) or, with a version,
   * `version <v> is not at ready state` (503) (core model_lifecycle.cc `GetModel` behind
   * model_repository_manager.cc); loading elsewhere → the runtime's not-loaded refusal
   * (the profile's `messages.notLoaded`). `purpose` `metadata`: MLServer answers a loading
   * model's metadata (handlers/dataplane.py checks `model.ready` on inference only).
   */
  find(
    name: string,
    version: string | undefined,
    purpose: "infer" | "metadata" = "infer",
  ): { model: MockModel; version: string | undefined } {
    const loaded = this.#loaded.get(name);
    if (loaded !== undefined && loaded.readyAt !== 0) this.#refresh();
    // MLServer forgets an unloaded model: it is as unknown as one never seen (registry.py).
    const unloaded = loaded !== undefined && !loaded.ready && !this.#mlserver;
    if (loaded !== undefined && (unloaded || this.#loading(loaded))) {
      const named = version === undefined || version === "" ? undefined : version;
      const known = (v: string) => loaded.model.versions.includes(v) || loaded.retired?.includes(v);
      if (named !== undefined && !known(named)) {
        throw this.#profile.messages.unknownVersion(name, named);
      }
      if (unloaded || !(this.#mlserver && purpose === "metadata")) {
        throw this.#profile.messages.notLoaded(name, named);
      }
      return servedVersion(loaded.model, named);
    }
    if (version !== undefined && loaded?.retired?.includes(version)) {
      // model_lifecycle.cc GetModel: the version is in the map but not READY.
      throw this.#profile.messages.notLoaded(name, version);
    }
    const found = findModel(this.#profile, this.#served, name, version);
    return servedVersion(found.model, version === "" ? undefined : version, found.version);
  }

  /**
   * Model readiness as MLServer and OVMS answer it over gRPC (ModelReady): an unknown model or
   * version is refused (their not-found), a loading one is `false` (MLServer dataplane.py
   * `model_ready` reads `model.ready`; OVMS `ModelReadyImpl` reads the version's state).
   */
  modelReady(name: string, version: string | undefined): boolean {
    const loaded = this.#loaded.get(name);
    if (loaded?.ready && this.#loading(loaded)) {
      const named = version === undefined || version === "" ? undefined : version;
      if (named !== undefined && !loaded.model.versions.includes(named)) {
        throw this.#profile.messages.unknownVersion(name, named);
      }
      return false;
    }
    this.find(name, version);
    return true;
  }

  /** Whether a model (version) is ready: Triton answers false, not an error, for unknown ones (core server.cc `ModelIsReady`). */
  isReady(name: string, version: string | undefined): boolean {
    try {
      this.find(name, version);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The repository index (core model_repository_manager.cc `RepositoryIndex`): every model of the
   * repository, sorted by name; loaded ones with each version's state and reason, never-loaded
   * ones by name alone. `readyOnly` keeps READY versions only.
   */
  index(readyOnly = false): IndexEntry[] {
    // MLServer lists the model-settings.json files anew (handlers/model_repository.py `index`
    // calls repository `list`).
    if (this.#mlserver) this.#rescan();
    const names = this.#folderNames() ?? [...new Set(this.#repository.map((m) => m.name))].sort();
    if (this.#mlserver) return this.#mlserverIndex(names, readyOnly);
    return names.flatMap((name): IndexEntry[] => {
      const loaded = this.#loaded.get(name);
      if (!loaded) return readyOnly ? [] : [{ name }];
      const loading = loaded.ready && this.#loading(loaded);
      if ((!loaded.ready || loading) && readyOnly) return [];
      const rows: IndexEntry[] = loaded.model.versions.map((version) =>
        loading
          ? { name, version, state: "LOADING" }
          : loaded.ready
            ? { name, version, state: "READY" }
            : { name, version, state: "UNAVAILABLE", reason: loaded.failure ?? unloadedReason },
      );
      if (readyOnly || loaded.retired === undefined) return rows;
      // The lifecycle's version map is ordered by version number (std::map<int64_t, ...>).
      for (const version of loaded.retired) {
        rows.push({ name, version, state: "UNAVAILABLE", reason: unloadedReason });
      }
      return rows.sort((a, b) => Number(a.version) - Number(b.version));
    });
  }

  /**
   * Triton's index names: the model folders the repository holds NOW, whatever the last poll saw
   * (core model_repository_manager.cc `RepositoryIndex` lists the repository's subdirectories on
   * every call, then joins each with its lifecycle states): between polls a folder added shows by
   * name alone and a folder removed is gone while its model still serves. Undefined without a
   * repository folder (built-in models) or where the folder cannot be read now.
   */
  #folderNames(): string[] | undefined {
    if (this.#mlserver) return undefined;
    for (const model of this.#repository) this.#folders ??= model.source?.folders;
    try {
      return this.#folders?.().slice().sort();
    } catch {
      return undefined;
    }
  }

  /**
   * MLServer's index (handlers/model_repository.py `index`): one item per model settings (so one
   * per version of a model, and one with no version for an unversioned file beside them, listed
   * after the versions as registry.py `get_models` lists the default), with its version when the
   * settings name one, READY when loaded else UNAVAILABLE, and an empty reason.
   */
  #mlserverIndex(names: readonly string[], readyOnly: boolean): IndexEntry[] {
    return names.flatMap((name): IndexEntry[] => {
      const model = this.#repository.find((m) => m.name === name);
      const loaded = this.#loaded.get(name);
      const ready = loaded?.ready === true && !this.#loading(loaded);
      if (readyOnly && !ready) return [];
      const state = ready ? "READY" : "UNAVAILABLE";
      const versions = model?.versions ?? [];
      const rows: IndexEntry[] = versions.map((version) => ({ name, version, state, reason: "" }));
      if (versions.length === 0 || model?.unversionedDefault)
        rows.push({ name, state, reason: "" });
      return rows;
    });
  }

  /**
   * Loads a model of the repository (core model_repository_manager.cc `LoadUnloadModel`):
   * refused with UNAVAILABLE unless explicit; a name the repository lacks, an unrecognised
   * parameter or a `config` that is not a model configuration fail the poll (INTERNAL); `config`
   * (model configuration JSON) overrides the fields it names.
   */
  load(name: string, parameters: LoadParameters = {}): void {
    if (this.mode !== "explicit") throw new InferFault("unavailable", modelControlRefusal);
    // MLServer's load finds the settings by listing the repository anew (repository.py `find`
    // calls `list`): a settings file added, changed or removed since the start counts.
    if (this.#mlserver) this.#rescan();
    const at = this.#repository.findIndex((m) => m.name === name);
    const listed = this.#repository[at];
    // MLServer: repository.py `find` raises ModelNotFound (404 "Model <m> not found").
    if (!listed)
      throw this.#mlserver ? this.#profile.messages.unknownModel(name) : failedPoll(name);
    // Triton reads the model's folder again (LoadUnloadModels → PollModels → Poll). A folder that
    // fails its poll fails the load; a version serving keeps serving (Poll keeps the model's
    // previous info as unmodified when InitializeModelInfo fails for a model it knows).
    const base = polled(listed);
    if (base === undefined) throw failedPoll(name);
    this.#repository[at] = base;
    let model = base;
    for (const [key, value] of Object.entries(parameters)) {
      if (key === "config" && typeof value === "string") {
        const overridden = withConfigOverride(base, value);
        if (!overridden) throw failedPoll(name);
        model = overridden;
      } else if (!key.startsWith("file:")) {
        throw failedPoll(name);
      }
    }
    this.#load(name, model, loadFailure(base));
  }

  /**
   * Loads `model` under `name`, or records why its backend refused it (`failure`) and throws
   * that refusal (INVALID_ARG). A version serving keeps serving either way while the new one
   * loads (Triton model_lifecycle.cc; MLServer registry.py `_reload_model` loads the new model
   * before it unloads the old).
   */
  #load(name: string, model: MockModel, failure: string | undefined): void {
    const before = this.#loaded.get(name);
    const noVersion = policyFailure(model);
    if (noVersion !== undefined) {
      // model_lifecycle.cc AsyncLoad refuses before it touches any version: the versions there
      // are (serving or not) stay as they were; LoadUnloadModels answers INVALID_ARG.
      if (before === undefined) {
        this.#loaded.set(name, { model, ready: false, readyAt: 0, failure: noVersion });
      }
      this.#update();
      throw new InferFault("invalid", `load failed for model '${name}': ${noVersion}\n`);
    }
    if (failure !== undefined) {
      // The backend refuses it: the load answers INVALID_ARG. A version serving stays READY and
      // serving (model_lifecycle.cc AsyncLoad loads over a READY version in the background, and
      // OnLoadFinal releases only the failed background load); else every version is
      // UNAVAILABLE with the reason.
      const serving = before?.ready === true && !this.#loading(before);
      if (!serving) {
        this.#loaded.set(name, this.#entry(before, model, { ready: false, failure }));
      }
      this.#update();
      throw new InferFault("invalid", loadFailedMessage(name, failedVersions(model, failure)));
    }
    // A model serving already keeps serving while its new configuration loads; the mock takes
    // the new one at once (the request still takes the load's time, see settled()).
    const serving = before?.ready === true && !this.#loading(before);
    const entry = this.#entry(before, model, { ready: true });
    this.#loaded.set(name, entry);
    if (!serving) this.#beginLoad(name, entry);
    else if (this.#clock !== undefined && this.#delayMs > 0) {
      this.#pending.set(name, this.#clock.sleep(this.#delayMs));
    }
    this.#update();
  }

  /**
   * A new lifecycle entry for `model` replacing `before`: Triton keeps every version it ever
   * loaded (model_lifecycle.cc: a version's info stays in the model's map; `OnLoadFinal`
   * releases the READY versions the new load does not hold, which end UNAVAILABLE `unloaded`), so
   * the versions of `before` that `model` lacks are carried as {@link Loaded.retired}. MLServer
   * forgets them (registry.py).
   */
  #entry(
    before: Loaded | undefined,
    model: MockModel,
    state: { ready: boolean; failure?: string },
  ): Loaded {
    const entry: Loaded = { model, readyAt: 0, ...state };
    if (before === undefined || this.#mlserver) return entry;
    const kept = new Set(model.versions);
    const retired = [...(before.retired ?? []), ...before.model.versions].filter(
      (v, i, all) => !kept.has(v) && all.indexOf(v) === i,
    );
    if (retired.length > 0) entry.retired = retired;
    return entry;
  }

  /**
   * Unloads a model. Triton: a model that is not loaded unloads without complaint (core
   * model_repository_manager.cc); MLServer: ModelNotFound (registry.py `unload`).
   */
  unload(name: string): void {
    if (this.mode !== "explicit") throw new InferFault("unavailable", modelControlRefusal);
    const loaded = this.#loaded.get(name);
    if (this.#mlserver && !loaded?.ready) throw this.#profile.messages.unknownModel(name);
    this.#unload(name);
  }

  /** Marks a model unloaded: its versions UNAVAILABLE `unloaded` (core model_lifecycle.cc). */
  #unload(name: string): void {
    const loaded = this.#loaded.get(name);
    if (loaded) {
      loaded.ready = false;
      loaded.readyAt = 0;
      delete loaded.failure;
    }
    this.#update();
  }

  /**
   * One poll of Triton's poll mode (core model_repository_manager.cc `PollAndUpdate`): the
   * repository is read again; a folder that is new loads, a folder whose modification time
   * changed ({@link RepositorySource.modified}) reloads, a folder gone unloads (its versions
   * UNAVAILABLE `unloaded`; the index no longer lists it, as `RepositoryIndex` lists the folders
   * there are). A new folder that fails its poll is listed by name alone; a known one keeps the
   * model it had and is tried again on the next poll (`Poll` keeps its previous info). A load the
   * backend refuses is logged by Triton and not retried until the folder changes; a version
   * serving keeps serving. A repository that cannot be read changes nothing. Called by the timer
   * {@link start} sets; tests call it directly.
   */
  poll(): void {
    if (this.#reread === undefined) return;
    let now: readonly MockModel[];
    try {
      now = this.#reread();
    } catch {
      return; // "failed to poll model repository": the models stay as they are
    }
    const gone = new Map(this.#repository.map((m) => [m.name, m]));
    const next: MockModel[] = [];
    for (const model of now) {
      const known = gone.get(model.name);
      gone.delete(model.name);
      if (known !== undefined && known.source?.modified === model.source?.modified) {
        next.push(known);
      } else if (pollFailure(model) !== undefined) {
        next.push(known ?? model);
      } else {
        next.push(model);
        try {
          this.#load(model.name, model, loadFailure(model));
        } catch {
          // Triton logs "failed to load '<m>'" and goes on with the other models.
        }
      }
    }
    for (const name of gone.keys()) this.#unload(name);
    this.#repository.splice(0, this.#repository.length, ...next);
    this.#update();
  }

  /** Reads the repository again where it can be (MLServer); an unreadable one stays as it was. */
  #rescan(): void {
    if (this.#reread === undefined) return;
    try {
      const now = this.#reread();
      this.#repository.splice(0, this.#repository.length, ...now);
    } catch {
      // Keep the repository as last read.
    }
  }
}

/**
 * Calls `poll` every `periodMs` on `clock` until `stop` aborts. On the real clock a Node interval
 * that does not hold the process open (`unref`), cleared on `stop`; on any other clock (a
 * ManualClock in tests) a chain of `clock.sleep`s, so tests step the polls deterministically.
 */
export function pollEvery(
  clock: Clock,
  periodMs: number,
  poll: () => void,
  stop?: AbortSignal,
): void {
  if (stop?.aborted) return;
  if (clock === realClock) {
    const timer = setInterval(poll, periodMs);
    timer.unref();
    stop?.addEventListener("abort", () => clearInterval(timer), { once: true });
    return;
  }
  const next = (): void => {
    clock.sleep(periodMs, stop).then(
      () => {
        poll();
        next();
      },
      () => {}, // stopped
    );
  };
  next();
}

/**
 * A model's folder read again for a load, or undefined where Triton's poll fails: the folder
 * holds no model now, cannot be read as one, or names another model (InitializeModelInfo: the
 * directory name must equal the model name).
 */
function polled(listed: MockModel): MockModel | undefined {
  let model: MockModel | undefined;
  try {
    model = repoll(listed);
  } catch {
    return undefined; // a file the reader refuses (an unreadable model.json, a bad tensor)
  }
  return model !== undefined && model.name === listed.name && pollFailure(model) === undefined
    ? model
    : undefined;
}

/** Config `data_type` (`TYPE_FP32`, `TYPE_STRING`) to a protocol datatype. */
function configDatatype(value: unknown): Datatype | undefined {
  if (typeof value !== "string" || !value.startsWith("TYPE_")) return undefined;
  const name = value === "TYPE_STRING" ? "BYTES" : value.slice("TYPE_".length);
  return isDatatype(name) ? name : undefined;
}

function tensorsOf(value: unknown): TensorSpec[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const specs: TensorSpec[] = [];
  for (const entry of value as Record<string, unknown>[]) {
    const datatype = configDatatype(entry?.data_type);
    const dims = entry?.dims;
    if (typeof entry?.name !== "string" || !datatype || !Array.isArray(dims)) return undefined;
    if (!dims.every((d) => Number.isInteger(Number(d)))) return undefined;
    specs.push({ name: entry.name, datatype, dims: dims.map(Number) });
  }
  return specs;
}

/**
 * A model with a `config` override applied: the fields the JSON names (`max_batch_size`,
 * `input`, `output`, `platform`/`backend`) replace the model's; the rest is kept, as Triton's
 * auto-complete recovers it from the model file. Undefined when the JSON is not a model
 * configuration. Inputs and outputs keep the model's computation, so an override may rename
 * or reshape them only in ways the model's function still fits.
 */
export function withConfigOverride(model: MockModel, json: string): MockModel | undefined {
  let config: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
    config = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const inputs = config.input === undefined ? model.inputs : tensorsOf(config.input);
  const outputs = config.output === undefined ? model.outputs : tensorsOf(config.output);
  const batch = config.max_batch_size ?? model.maxBatchSize;
  if (!inputs || !outputs || !Number.isInteger(Number(batch)) || Number(batch) < 0) {
    return undefined;
  }
  const platform = config.platform ?? config.backend ?? model.platform;
  return {
    ...model,
    platform: typeof platform === "string" && platform !== "" ? platform : model.platform,
    maxBatchSize: Number(batch),
    inputs,
    outputs,
  };
}

/**
 * The model a request reaches once its name and version are resolved: an MLServer version with
 * its own settings serves them ({@link MockModel.versionModels}), and a request naming no version
 * of a name whose default is an unversioned settings file gets that file with no version
 * ({@link MockModel.unversionedDefault}; registry.py `_find_model(None)` returns the default).
 * `resolved` is the version the lookup settled on (the newest when none was named). A model with
 * {@link MockModel.versionModels} is itself its default version with every version listed.
 */
function servedVersion(
  model: MockModel,
  named: string | undefined,
  resolved: string | undefined = named,
): { model: MockModel; version: string | undefined } {
  if (named === undefined && model.unversionedDefault) return { model, version: undefined };
  // No version named: the model itself, which is its default version's (the newest) with every
  // version listed (Triton's metadata lists them; the default answers inference).
  const own = named === undefined ? undefined : model.versionModels?.get(named);
  return { model: own ?? model, version: resolved };
}
