import { createServer } from "node:http";
import { toNodeHandler } from "@durable-endpoints/runtime/node";
import { inngest } from "./client.js";
import { handle } from "./routes.js";

// Entry of the Node bundles (esbuild, Rollup, webpack, Rspack, Vite SSR). PORT=0 picks a free port.
// requireHostHeader: false lets toNodeHandler answer a missing Host (node:http would answer and close at once,
// resetting a client still sending its body)
const server = createServer({ requireHostHeader: false }, toNodeHandler(handle));
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === "object" && address ? address.port : ""}`);
  // Open the store and start the scheduler now: runs left behind by a previous process resume by themselves.
  void inngest.start();
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => server.close(() => void inngest.close().finally(() => process.exit(0))));
}
