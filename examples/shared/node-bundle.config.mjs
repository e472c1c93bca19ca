/**
 * What the webpack and Rspack examples share: a Node ESM bundle of `src/node-server.ts` in `<dir>/dist`.
 * Packages stay imports (the runtime has a native SQLite addon); node: builtins too.
 * @param {string} configUrl the bundler config's `import.meta.url`
 */
export function nodeServerBundle(configUrl) {
  const here = (path) => new URL(path, configUrl).pathname;
  return {
    here,
    config: {
      context: here("."),
      mode: "production",
      target: "node20",
      entry: new URL("src/node-server.ts", import.meta.url).pathname,
      output: { path: here("dist"), filename: "server.js", module: true, chunkFormat: "module" },
      devtool: "source-map",
      optimization: { minimize: false },
      externalsType: "module",
      externalsPresets: { node: true },
      externals: [({ request }, callback) => (/^(@[\w-]+\/)?[\w-]/.test(request) && !request.startsWith("node:") ? callback(null, request) : callback())],
      resolve: { extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } },
    },
  };
}
