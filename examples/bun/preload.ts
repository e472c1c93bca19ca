import durable from "@durable-endpoints/unplugin/bun";

Bun.plugin(durable({ alias: true }));
