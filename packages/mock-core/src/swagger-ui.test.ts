import { describe, expect, it } from "vitest";
import { swaggerUiHtml } from "./swagger-ui.js";

// fastapi/openapi/docs.py get_swagger_ui_html: the page vLLM's /docs and MLServer's /v2/docs serve.
describe("swaggerUiHtml", () => {
  it("writes FastAPI's page: the bundle, the title, the document URL single-quoted", () => {
    const page = swaggerUiHtml({ openapiUrl: "/openapi.json", title: "FastAPI - Swagger UI" });
    expect(page).toContain("<title>FastAPI - Swagger UI</title>");
    expect(page).toContain("    url: '/openapi.json',\n");
    expect(page).toContain(
      '<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>',
    );
  });

  it("escapes a title and cannot be closed or broken out of by a URL", () => {
    const page = swaggerUiHtml({
      openapiUrl: "/v2/models/a'</script>\\/docs/dataplane.json",
      title: "<b>&",
    });
    expect(page).toContain("<title>&lt;b&gt;&amp;</title>");
    expect(page).not.toContain("a'</script>");
    expect(page).toContain("url: '/v2/models/a\\'\\u003c/script>\\\\/docs/dataplane.json',");
  });
});
