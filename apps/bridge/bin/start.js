#!/usr/bin/env node
// `pnpm start`: build the web app if needed, then the bridge in demo mode.
import { register } from 'tsx/esm/api';

register();
const { start } = await import('../src/start.ts');
process.exitCode = await start(process.argv.slice(2));
