// The part of the lab that runs in a browser or worker too (no Node built-ins): the virtual USIM,
// Milenage and the SIM profiles. The web app's "Virtual SIM (demo)" is built from these.
export * from './card/index.ts';
export * from './milenage/index.ts';
export * from './profiles/index.ts';
export * from './replay/index.ts';
