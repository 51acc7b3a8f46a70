/**
 * The Swagger UI page FastAPI serves for an OpenAPI document (`fastapi.openapi.docs`
 * `get_swagger_ui_html`: the swagger-ui-dist 5 bundle from jsDelivr, FastAPI's favicon, the
 * document's URL in a single-quoted script string), for the Python runtimes built on FastAPI:
 * vLLM's `/docs`, MLServer's `/v2/docs`.
 */

const htmlEscapes: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * `text` as FastAPI's f-string puts it between single quotes in the page's script, escaped only
 * where it would end the string or the script element, so a URL built from a request path
 * (MLServer's per-model docs) cannot break out; a plain URL comes out as FastAPI writes it.
 */
function singleQuoted(text: string): string {
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/'/g, "\\'")
    .replace(/</g, "\\u003c")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r");
  return `'${escaped}'`;
}

/**
 * The page for the OpenAPI document at `openapiUrl`, titled `title` (HTML-escaped: a title may
 * hold a model name from the request path). FastAPI's own default title is
 * `"<app title> - Swagger UI"`.
 */
export function swaggerUiHtml(options: { openapiUrl: string; title: string }): string {
  const title = options.title.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);
  return `<!DOCTYPE html>
<html>
<head>
<link type="text/css" rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
<link rel="shortcut icon" href="https://fastapi.tiangolo.com/img/favicon.png">
<title>${title}</title>
</head>
<body>
<div id="swagger-ui">
</div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>
const ui = SwaggerUIBundle({
    url: ${singleQuoted(options.openapiUrl)},
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": true,
    "showExtensions": true,
    "showCommonExtensions": true,
    presets: [
        SwaggerUIBundle.presets.apis,
        SwaggerUIBundle.SwaggerUIStandalonePreset
    ],
})
</script>
</body>
</html>
`;
}
