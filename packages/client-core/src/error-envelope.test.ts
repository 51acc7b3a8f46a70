import { describe, expect, it } from "vitest";
import { describeErrorBody } from "./error-envelope.js";

describe("describeErrorBody", () => {
  it("reads vLLM >= 0.10.1's nested envelope (vllm-openai.md §3)", () => {
    const body = {
      error: {
        message: "The model `x` does not exist.",
        type: "NotFoundError",
        param: null,
        code: 404,
      },
    };
    expect(describeErrorBody(body)).toEqual({
      message: "The model `x` does not exist.",
      status: 404,
    });
  });

  it("reads vLLM <= 0.10.0's flat envelope (vllm-openai.md §3)", () => {
    const body = {
      object: "error",
      message: "bad",
      type: "BadRequestError",
      param: null,
      code: 400,
    };
    expect(describeErrorBody(body)).toEqual({ message: "bad", status: 400 });
  });

  it("reads OpenAI's string code as no status", () => {
    const body = {
      error: { message: "slow down", type: "rate_limit", code: "rate_limit_exceeded" },
    };
    expect(describeErrorBody(body)).toEqual({ message: "slow down" });
  });

  it("reads {error: string} of vLLM auth and the KServe v2 servers (kserve-v2.md §3)", () => {
    expect(describeErrorBody({ error: "Unauthorized" })).toEqual({ message: "Unauthorized" });
    expect(
      describeErrorBody({ error: "Request for unknown model: 'm' is not found" }).message,
    ).toBe("Request for unknown model: 'm' is not found");
  });

  it("reads caikit's {details, code, id} (caikit-tgis.md §1.7)", () => {
    const body = { details: "Please provide model_id in payload", code: 400, id: "a".repeat(32) };
    expect(describeErrorBody(body)).toEqual({
      message: "Please provide model_id in payload",
      status: 400,
    });
  });

  it("reads FastAPI's {detail} as a string and as a validation list", () => {
    expect(describeErrorBody({ detail: "Not Found" })).toEqual({ message: "Not Found" });
    const list = { detail: [{ loc: ["body"], msg: "field required", type: "missing" }] };
    expect(describeErrorBody(list)).toEqual({ message: "field required" });
  });

  it("reads plain text bodies such as kube-rbac-proxy's (kserve-v2.md §5)", () => {
    expect(describeErrorBody("Unauthorized\n")).toEqual({ message: "Unauthorized" });
  });

  it("yields nothing for empty, foreign or absurd bodies", () => {
    expect(describeErrorBody(undefined)).toEqual({});
    expect(describeErrorBody("")).toEqual({});
    expect(describeErrorBody(42)).toEqual({});
    expect(describeErrorBody([1, 2])).toEqual({});
    expect(describeErrorBody({ something: "else" })).toEqual({});
    expect(describeErrorBody({ message: "x", code: 42 })).toEqual({ message: "x" });
    expect(describeErrorBody({ message: "x", code: 400.5 })).toEqual({ message: "x" });
  });
});
