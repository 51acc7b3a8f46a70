// Lets `node` run the CLI straight from its TypeScript sources (used by the spawn test): with the
// `@servingkit/source` condition, workspace packages resolve to src/*.ts, and this hook maps the
// `.js` specifiers between source files (nodenext style) to the `.ts` files that exist.
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

registerHooks({
  resolve(specifier, context, next) {
    if (specifier.endsWith(".js") && (specifier.startsWith(".") || specifier.startsWith("/"))) {
      const ts = new URL(specifier.replace(/\.js$/, ".ts"), context.parentURL);
      if (ts.protocol === "file:" && existsSync(fileURLToPath(ts))) return next(ts.href, context);
    }
    return next(specifier, context);
  },
});
