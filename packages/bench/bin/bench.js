#!/usr/bin/env node
// `pnpm bench`: runs the bundled command (rebuilt first when its sources changed; see tools/build).
import { launch } from '@krypton-web/build/launch';

// The AWS SDK warns on every start that future releases need Node 22 (the versions pinned here do
// not); that notice is not a benchmark result, so it is kept out of the report.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning).includes('AWS SDK for JavaScript')) return;
  emitWarning(warning, ...rest);
};

await launch(import.meta.url, 'krypton-bench');
// Servers and browsers are closed by the suites; nothing may keep a finished run alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
