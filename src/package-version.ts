import { createRequire } from 'node:module';

/** This package's version, from its package.json (one level up from src/ and from dist/ alike). */
export const PACKAGE_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
