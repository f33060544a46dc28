import { createRequire } from 'node:module';
import type * as TypeBox from '@sinclair/typebox';

export type { Static, TSchema } from '@sinclair/typebox';

// TypeBox's ES-module build is some 200 files and its CommonJS build the same API; under tsx (how
// Livelog runs) each ES module is resolved and loaded through the loader's hooks, so the CommonJS
// build starts every process (server, command line, each test file) about 0.3 s sooner.
export const { Type } = createRequire(import.meta.url)('@sinclair/typebox') as typeof TypeBox;
