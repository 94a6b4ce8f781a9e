#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the CLI is never out of date with src/.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
