#!/usr/bin/env node
// The CLI. An installed package runs the compiled dist/ (plain Node, no tsx). A checkout, where
// src/ is present, runs the TypeScript sources through tsx (a dev dependency), so the CLI of a
// checkout is never out of date with src/ and needs no build between an edit and a run.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
