export * from './bytes/index.ts';
