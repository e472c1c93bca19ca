/**
 * Phase 1: locate `X.endpoint(handler)` calls whose handler the compiler can see —
 * an inline async arrow / function expression, or an identifier naming an async
 * function declared in the module — and the bindings of the imported `step`.
 */
import type { Binding, NodePath } from "@babel/traverse";
import * as t from "@babel/types";
import { traverse } from "../babel.js";
import { handlerNotFound } from "../diagnostics.js";

export type HandlerFunction = t.ArrowFunctionExpression | t.FunctionExpression | t.FunctionDeclaration;

export interface EndpointSite {
  /** the `X.endpoint(...)` argument that the machine replaces */
  argument: NodePath<t.Expression>;
  handler: NodePath<HandlerFunction>;
  /** binding name: export / variable name, or "default" */
  name: string;
}

export interface FoundModule {
  endpoints: EndpointSite[];
  /** bindings of `step` imported from an import source */
  stepBindings: Set<Binding>;
}

export function findEndpoints(file: t.File, code: string, importSources: readonly string[]): FoundModule {
  const stepBindings = new Set<Binding>();
  const endpoints: EndpointSite[] = [];
  let unnamed = 0;
  // `.endpoint(` of some other library: nothing to do, and no need to walk the module
  const importsRuntime = file.program.body.some((s) => t.isImportDeclaration(s) && importSources.includes(s.source.value));
  if (!importsRuntime) return { endpoints, stepBindings };

  const calls = endpointCallOffsets(code);
  traverse(file, {
    Program(path) {
      for (const statement of path.node.body) {
        if (!t.isImportDeclaration(statement) || !importSources.includes(statement.source.value)) continue;
        for (const spec of statement.specifiers) {
          if (!t.isImportSpecifier(spec) || importedName(spec) !== "step") continue;
          const binding = path.scope.getBinding(spec.local.name);
          if (binding) stepBindings.add(binding);
        }
      }
    },
    enter(path) {
      // only subtrees that contain a `.endpoint(` call are worth walking
      const { start, end } = path.node;
      if (start != null && end != null && !calls.some((offset) => offset >= start && offset < end)) path.skip();
    },
    CallExpression(path) {
      const { callee, arguments: args } = path.node;
      if (!t.isMemberExpression(callee) || callee.computed || !t.isIdentifier(callee.property, { name: "endpoint" })) return;
      // inngest.endpoint(handler) or inngest.endpoint(handler, options)
      if (args.length < 1 || args.length > 2 || !t.isExpression(args[0])) return;
      const argument = path.get("arguments.0") as NodePath<t.Expression>;
      const handler = resolveHandler(argument);
      if (!handler) {
        if (argument.isIdentifier()) handlerNotFound(argument.node, argument.node.name);
        return;
      }
      endpoints.push({ argument, handler, name: bindingName(path) ?? `endpoint${++unnamed}` });
    },
  });

  return { endpoints, stepBindings };
}

function endpointCallOffsets(code: string): number[] {
  const offsets: number[] = [];
  for (let i = code.indexOf(".endpoint("); i >= 0; i = code.indexOf(".endpoint(", i + 1)) offsets.push(i);
  return offsets;
}

function importedName(spec: t.ImportSpecifier): string {
  return t.isIdentifier(spec.imported) ? spec.imported.name : spec.imported.value;
}

function resolveHandler(argument: NodePath<t.Expression>): NodePath<HandlerFunction> | null {
  if (argument.isParenthesizedExpression() || argument.isTSAsExpression() || argument.isTSSatisfiesExpression() || argument.isTSNonNullExpression()) {
    return resolveHandler(argument.get("expression") as NodePath<t.Expression>);
  }
  if (argument.isArrowFunctionExpression() || argument.isFunctionExpression()) {
    return argument.node.async ? argument : null;
  }
  if (!argument.isIdentifier()) return null;
  const binding = argument.scope.getBinding(argument.node.name);
  if (!binding || binding.constantViolations.length > 0) return null;
  const decl = binding.path;
  if (decl.isFunctionDeclaration()) return decl.node.async ? decl : null;
  if (decl.isVariableDeclarator()) {
    const init = decl.get("init");
    if ((init.isArrowFunctionExpression() || init.isFunctionExpression()) && init.node.async) return init;
  }
  return null;
}

/** The name under which the endpoint is bound: `export const GET = …`, `export default …`, `exports.x = …`. */
function bindingName(call: NodePath<t.CallExpression>): string | null {
  let path: NodePath = call;
  while (path.parentPath && (path.parentPath.isTSAsExpression() || path.parentPath.isTSSatisfiesExpression() || path.parentPath.isParenthesizedExpression())) {
    path = path.parentPath;
  }
  const parent = path.parentPath;
  if (!parent) return null;
  if (parent.isVariableDeclarator() && t.isIdentifier(parent.node.id)) return parent.node.id.name;
  if (parent.isExportDefaultDeclaration()) return "default";
  if (parent.isAssignmentExpression() && t.isMemberExpression(parent.node.left) && t.isIdentifier(parent.node.left.property)) {
    return parent.node.left.property.name;
  }
  return null;
}
