// The web app's build step is the workspace's (tools/build): `pnpm start` and `pnpm bench` use it too.
export { ensureWebAppBuilt as ensureBuilt, WEB_ROOT, WEB_DIST as DIST } from '@krypton-web/build/web-app';
