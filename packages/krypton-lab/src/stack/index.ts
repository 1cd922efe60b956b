/** A stack of SIM cards fed to several vpcd readers by hand or on a timeline, and the `lab stack` command's engine. */
export {
  openCardStack,
  type CardStack,
  type CardStackEvent,
  type CardStackOptions,
  type TimelineOptions,
  type VpcdEndpoint,
} from './card-stack.ts';
export { StackError, type StackErrorCode } from './stack-error.ts';
