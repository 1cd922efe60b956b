#!/usr/bin/env node
// `pnpm bridge`: the local bridge, TypeScript run from source through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main();
