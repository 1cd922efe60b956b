export { Milenage, deriveOpc, kcFromCkIk, sresFromRes, type MilenageOutput } from './milenage.ts';
