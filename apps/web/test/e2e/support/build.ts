// The build step lives with the app (apps/web/build) because `pnpm start` and `pnpm bench` use it too.
export { ensureBuilt, WEB_ROOT, DIST } from '../../../build/ensure-built.ts';
