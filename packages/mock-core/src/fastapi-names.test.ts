import { describe, expect, it } from "vitest";
import { fastapiOperationId, fastapiTitle } from "./fastapi-names.js";

// fastapi/routing.py APIRoute: summary from the endpoint name (`name.replace("_", " ").title()`),
// operation id from fastapi/utils.py generate_unique_id (`re.sub(r"\W", "_", name + path)` + method).
describe("FastAPI route names", () => {
  it("title-cases the endpoint name as the summary", () => {
    expect(fastapiTitle("create_chat_completion")).toBe("Create Chat Completion");
    expect(fastapiTitle("health")).toBe("Health");
  });

  it("joins name, path and method with non-word characters as _", () => {
    expect(fastapiOperationId("health", "/health", "GET")).toBe("health_health_get");
    expect(fastapiOperationId("infer", "/v2/models/{model_name}/infer", "post")).toBe(
      "infer_v2_models__model_name__infer_post",
    );
  });
});
