#!/usr/bin/env node
// A committed launcher, so `npm install` can link the `durable` bin before the first build.
await import("../dist/bin.js");
