#!/usr/bin/env node
// `pnpm lab <command>` runs this bin directly (no pnpm script banner on stdout, so the JSON line
// `lab serve` prints is the first line). The lab is TypeScript run from source through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main();
