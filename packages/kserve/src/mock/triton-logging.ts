/**
 * Triton's logging extension (kserve-v2.md §3.1 "Logging `GET|POST /v2/logging`"; server
 * src/http_server.cc `HandleLogging`, docs/protocol/extension_logging.md): the server's log
 * settings, read and updated over REST and gRPC LogSettings. The mock logs nothing by them; it
 * keeps them so a client reads back what it set.
 */
import { InferFault } from "./fault.js";

/** The settings in the order Triton writes them (`HandleLogging`'s response). */
export interface LogSettings {
  /** Log file; `""` = the console. Not settable over the network. */
  readonly log_file: string;
  /** INFO messages on. */
  readonly log_info: boolean;
  /** WARNING messages on. */
  readonly log_warning: boolean;
  /** ERROR messages on. */
  readonly log_error: boolean;
  /** Verbose level, 0 = none. */
  readonly log_verbose_level: number;
  /** `default` or `ISO8601`. */
  readonly log_format: string;
}

/** Triton's defaults: console, INFO/WARNING/ERROR on, verbose 0, default format (extension_logging.md example). */
export const defaultLogSettings: LogSettings = {
  log_file: "",
  log_info: true,
  log_warning: true,
  log_error: true,
  log_verbose_level: 0,
  log_format: "default",
};

// TritonJson's type errors (common triton_json.h) are INTERNAL, so HTTP 500.
const notBoolean = () =>
  new InferFault("internal", "attempt to access JSON non-boolean as boolean");
/** TritonJson's refusal of a non-string where a string is read (INTERNAL, common triton_json.h). */
export const notString = (): InferFault =>
  new InferFault("internal", "attempt to access JSON non-string as string");
/** TritonJson's refusal of a non-unsigned where one is read (INTERNAL, common triton_json.h). */
export const notUnsigned = (): InferFault =>
  new InferFault("internal", "attempt to access JSON non-unsigned-integer as unsigned-integer");

/** One mock's log settings. */
export class LogSettingsStore {
  #settings: LogSettings = defaultLogSettings;

  /** The current settings. */
  get(): LogSettings {
    return this.#settings;
  }

  /**
   * Applies the settings a request names, one after another as `HandleLogging` does (so an error
   * leaves the earlier ones applied); null and unknown keys change nothing. Throws Triton's
   * refusal: `log_file` UNSUPPORTED, a wrong JSON type INTERNAL, an unknown `log_format`
   * UNAVAILABLE `invalid argument for --log_format, got: <f>`.
   */
  update(changes: Readonly<Record<string, unknown>>): LogSettings {
    const set = (patch: Partial<LogSettings>) => {
      this.#settings = { ...this.#settings, ...patch };
    };
    const given = (key: string) => changes[key] !== undefined && changes[key] !== null;
    if (given("log_file")) {
      throw new InferFault(
        "unsupported",
        "log file location can not be updated through network protocol",
      );
    }
    for (const key of ["log_info", "log_warning", "log_error"] as const) {
      if (!given(key)) continue;
      const value = changes[key];
      if (typeof value !== "boolean") throw notBoolean();
      set({ [key]: value });
    }
    if (given("log_verbose_level")) {
      const value = changes.log_verbose_level;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw notUnsigned();
      set({ log_verbose_level: value });
    }
    if (given("log_format")) {
      const value = changes.log_format;
      if (typeof value !== "string") throw notString();
      if (value !== "default" && value !== "ISO8601") {
        throw new InferFault("unavailable", `invalid argument for --log_format, got: ${value}`);
      }
      set({ log_format: value });
    }
    return this.#settings;
  }
}
