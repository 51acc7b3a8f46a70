import { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";

describe("ServingkitError", () => {
  it("prefixes the message with the code and keeps the raw message", () => {
    const error = new ServingkitError("no such model", Code.NotFound);
    expect(error.message).toBe("[not_found] no such model");
    expect(error.rawMessage).toBe("no such model");
    expect(error.name).toBe("ServingkitError");
    expect(error.code).toBe(Code.NotFound);
    expect(error.metadata).toBeInstanceOf(Headers);
    expect([...error.metadata]).toEqual([]);
    expect(error).toBeInstanceOf(Error);
    expect(new ServingkitError("", Code.Internal).message).toBe("[internal]");
    expect(new ServingkitError("x").code).toBe(Code.Unknown);
  });

  it("derives retryable from status, code and x-should-retry unless told", () => {
    expect(new ServingkitError("x", Code.Unavailable).retryable).toBe(true);
    expect(new ServingkitError("x", Code.InvalidArgument).retryable).toBe(false);
    expect(new ServingkitError("x", Code.Internal, { httpStatus: 500 }).retryable).toBe(true);
    expect(new ServingkitError("x", Code.Unavailable, { retryable: false }).retryable).toBe(false);
    const hinted = new ServingkitError("x", Code.InvalidArgument, {
      httpStatus: 400,
      metadata: { "x-should-retry": "true" },
    });
    expect(hinted.retryable).toBe(true);
  });

  describe("fromHttpResponse", () => {
    it("maps the status, reads the envelope's message and keeps body and headers", () => {
      const error = ServingkitError.fromHttpResponse({
        status: 404,
        statusText: "Not Found",
        headers: { "x-request-id": "r1" },
        body: { error: { message: "The model `m` does not exist.", code: 404 } },
      });
      expect(error.code).toBe(Code.NotFound);
      expect(error.httpStatus).toBe(404);
      expect(error.grpcCode).toBeUndefined();
      expect(error.message).toBe("[not_found] The model `m` does not exist.");
      expect(error.metadata.get("x-request-id")).toBe("r1");
      expect(error.body).toEqual({
        error: { message: "The model `m` does not exist.", code: 404 },
      });
      expect(error.retryable).toBe(false);
    });

    it("falls back to the status line for empty bodies (Authorino's 401, kserve-v2.md §5)", () => {
      const error = ServingkitError.fromHttpResponse({ status: 401, statusText: "Unauthorized" });
      expect(error.message).toBe("[unauthenticated] HTTP 401 Unauthorized");
      expect(error.body).toBeUndefined();
      expect(ServingkitError.fromHttpResponse({ status: 503 }).message).toBe(
        "[unavailable] HTTP 503",
      );
      expect(ServingkitError.fromHttpResponse({ status: 503 }).retryable).toBe(true);
    });
  });

  describe("from", () => {
    it("returns a ServingkitError as it is", () => {
      const error = new ServingkitError("x", Code.Aborted);
      expect(ServingkitError.from(error)).toBe(error);
    });

    it("turns an AbortError into CANCELED", () => {
      const controller = new AbortController();
      controller.abort();
      const error = ServingkitError.from(controller.signal.reason);
      expect(error.code).toBe(Code.Canceled);
      expect(error.retryable).toBe(false);
      expect(error.cause).toBe(controller.signal.reason);
    });

    it("turns a TimeoutError into DEADLINE_EXCEEDED", () => {
      const error = ServingkitError.from(new DOMException("too slow", "TimeoutError"));
      expect(error.code).toBe(Code.DeadlineExceeded);
      expect(error.rawMessage).toBe("too slow");
      expect(error.retryable).toBe(true);
    });

    it("keeps a ConnectError's code and metadata, and its wire code as grpcCode", () => {
      const local = new ConnectError("refused", Code.Unavailable, { "x-a": "1" });
      const fromLocal = ServingkitError.from(local);
      expect(fromLocal.code).toBe(Code.Unavailable);
      expect(fromLocal.grpcCode).toBeUndefined();
      expect(fromLocal.metadata.get("x-a")).toBe("1");
      expect(fromLocal.rawMessage).toBe("refused");
      expect(fromLocal.cause).toBe(local);
      const wire = new ConnectError("slow down", Code.ResourceExhausted);
      wire.isWireError = true;
      const fromWire = ServingkitError.from(wire);
      expect(fromWire.grpcCode).toBe(Code.ResourceExhausted);
      expect(fromWire.retryable).toBe(true);
    });

    it("turns other errors and values into the given code, default UNKNOWN", () => {
      const cause = new TypeError("boom");
      expect(ServingkitError.from(cause).code).toBe(Code.Unknown);
      expect(ServingkitError.from(cause).cause).toBe(cause);
      expect(ServingkitError.from(cause, Code.Internal).code).toBe(Code.Internal);
      expect(ServingkitError.from("text").rawMessage).toBe("text");
      expect(ServingkitError.from(undefined).rawMessage).toBe("undefined");
      expect(ServingkitError.from({ name: "AbortError", message: "" }).code).toBe(Code.Canceled);
    });
  });

  describe("instanceof across copies", () => {
    it("recognises errors of a second copy of the module, and the copy recognises ours", async () => {
      const copy = (await import(
        /* @vite-ignore */ `./servingkit-error.ts?second-copy=${Date.now()}`
      )) as typeof import("./servingkit-error.js");
      expect(copy.ServingkitError).not.toBe(ServingkitError);
      const foreign = new copy.ServingkitError("from the copy", Code.Internal);
      expect(Object.getPrototypeOf(foreign)).not.toBe(ServingkitError.prototype);
      expect(foreign instanceof ServingkitError).toBe(true);
      expect(new ServingkitError("ours") instanceof copy.ServingkitError).toBe(true);
      expect(ServingkitError.from(foreign)).toBe(foreign);
    });

    it("rejects look-alikes and non-objects", () => {
      const lookAlike = Object.assign(new Error("x"), { code: Code.Internal, rawMessage: "x" });
      expect(lookAlike instanceof ServingkitError).toBe(false);
      expect((null as unknown) instanceof ServingkitError).toBe(false);
      expect(("text" as unknown) instanceof ServingkitError).toBe(false);
    });

    it("keeps the prototype check for subclasses", () => {
      class Special extends ServingkitError {}
      expect(new Special("x") instanceof Special).toBe(true);
      expect(new Special("x") instanceof ServingkitError).toBe(true);
      expect(new ServingkitError("x") instanceof Special).toBe(false);
    });
  });
});
