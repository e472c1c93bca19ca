import { withDurable } from "@durable-endpoints/unplugin/next";

/** @type {import("next").NextConfig} */
const nextConfig = {
  // Lets the tests build with Turbopack and with webpack side by side.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // Server source maps: with `node --enable-source-maps`, stack traces point at the route's lines.
  experimental: { serverSourceMaps: true },
};

// alias: the routes keep the seed's `import … from "inngest"` unchanged.
export default withDurable(nextConfig, { alias: true });
