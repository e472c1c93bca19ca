/** Babel entry points, normalised for ESM (traverse and generator ship CJS default exports). */
import * as traverseModule from "@babel/traverse";
import * as generatorModule from "@babel/generator";

type Traverse = typeof import("@babel/traverse").default;
type Generate = typeof import("@babel/generator").default;

const unwrap = <T>(mod: unknown): T => {
  const m = mod as { default?: { default?: T } & T };
  return (m.default?.default ?? m.default ?? mod) as T;
};

export const traverse: Traverse = unwrap<Traverse>(traverseModule);
export const generate: Generate = unwrap<Generate>(generatorModule);
