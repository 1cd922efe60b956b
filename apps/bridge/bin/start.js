#!/usr/bin/env node
// `pnpm start`: runs the bundled command (rebuilt first when its sources changed; see tools/build).
import { launch } from '@krypton-web/build/launch';

await launch(import.meta.url, 'start');
