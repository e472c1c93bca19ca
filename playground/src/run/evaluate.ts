/**
 * Evaluates the user's module in this page. It is the user's own code, typed
 * in their own browser — nothing evaluated here ever comes from a server.
 * Sucrase strips TypeScript and turns `import`/`export` into CommonJS so that
 * the runtime can be handed in as plain objects.
 */
import { transform } from "sucrase";
import { HIT } from "./instrument.js";

export type ModuleExports = Record<string, unknown>;

export function evaluateModule(code: string, imports: Record<string, unknown>, hit: (line: number) => void): ModuleExports {
  const js = transform(code, { transforms: ["typescript", "imports"], filePath: "playground.ts" }).code;
  const module = { exports: {} as ModuleExports };
  const require = (specifier: string): unknown => {
    if (specifier in imports) return imports[specifier];
    throw new Error(`The playground cannot import "${specifier}": only "inngest", "inngest/edge" and @durable-endpoints/runtime are available.`);
  };
  // The Function constructor is the point of this file: see the header comment.
  const factory = new Function("require", "module", "exports", HIT, `${js}\n//# sourceURL=playground.ts`);
  factory(require, module, module.exports, hit);
  return module.exports;
}
