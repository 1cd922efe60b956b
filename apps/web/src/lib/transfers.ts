import type { Failure } from '../worker/api.ts';

/** What every transfer to or from S3 has, whichever way it goes: the lists show these alike. */
export interface Transfer {
  id: number;
  key: string;
  name: string;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  failure?: Failure;
}
