export * from './bytes/index.ts';
export * from './errors/index.ts';
export * from './trace/index.ts';
