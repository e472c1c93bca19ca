/**
 * Generates a synthetic app for the build benchmark (P4): `modules` TypeScript
 * modules in a binary import tree under src/, every `endpointEvery`-th one a
 * durable endpoint module, and src/main.ts importing the roots.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const endpointSource = readFileSync(new URL("../fixtures/checkout.ts", import.meta.url), "utf8");

function moduleSource(i, modules) {
  const children = [2 * i + 1, 2 * i + 2].filter((c) => c < modules);
  const imports = children.map((c) => `import { value${c} } from "./m${c}.js";`).join("\n");
  const sum = children.map((c) => `value${c}(n)`).join(" + ") || "0";
  return `${imports}
export interface Shape${i} { id: number; label: string }
const table${i}: Shape${i}[] = Array.from({ length: 4 }, (_, id) => ({ id, label: "m${i}-" + id }));
export function value${i}(n: number): number {
  return table${i}.reduce((acc, row) => acc + row.id * n, ${i}) + ${sum};
}
`;
}

export function generateApp(root, { modules, endpointEvery }) {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, "src"), { recursive: true });
  const endpoints = [];
  for (let i = 0; i < modules; i++) {
    writeFileSync(join(root, "src", `m${i}.ts`), moduleSource(i, modules));
    if (i % endpointEvery === 0) {
      writeFileSync(join(root, "src", `endpoint${i}.ts`), endpointSource);
      endpoints.push(`endpoint${i}`);
    }
  }
  const main = [
    `import { value0 } from "./m0.js";`,
    ...endpoints.map((name) => `export { checkout as ${name} } from "./${name}.js";`),
    `export const answer = value0(1);`,
  ].join("\n");
  writeFileSync(join(root, "src", "main.ts"), `${main}\n`);
  return { files: modules + endpoints.length + 1, endpoints: endpoints.length };
}
