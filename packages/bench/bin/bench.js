#!/usr/bin/env node
// `pnpm bench`: TypeScript run from source through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main();
// Servers and browsers are closed by the suites; nothing may keep a finished run alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
