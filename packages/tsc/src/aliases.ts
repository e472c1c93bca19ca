import ts from "typescript";

/** Rewrites `import … from` / `export … from` specifiers found in `aliases` (e.g. "inngest"). */
export function rewriteModuleSpecifiers(file: ts.SourceFile, aliases: ReadonlyMap<string, string>): ts.SourceFile {
  if (aliases.size === 0) return file;
  const { factory } = ts;
  const target = (node: ts.Expression | undefined) =>
    node && ts.isStringLiteral(node) && aliases.has(node.text) ? factory.createStringLiteral(aliases.get(node.text)!) : undefined;
  let changed = false;
  const statements = file.statements.map((statement) => {
    if (ts.isImportDeclaration(statement)) {
      const to = target(statement.moduleSpecifier);
      if (!to) return statement;
      changed = true;
      return factory.updateImportDeclaration(statement, statement.modifiers, statement.importClause, to, statement.attributes);
    }
    if (ts.isExportDeclaration(statement)) {
      const to = target(statement.moduleSpecifier);
      if (!to) return statement;
      changed = true;
      return factory.updateExportDeclaration(statement, statement.modifiers, statement.isTypeOnly, statement.exportClause, to, statement.attributes);
    }
    return statement;
  });
  return changed ? factory.updateSourceFile(file, statements) : file;
}
