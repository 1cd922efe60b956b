export { KryptonError, type KryptonErrorCode, type KryptonErrorDetails } from './krypton-error.ts';
