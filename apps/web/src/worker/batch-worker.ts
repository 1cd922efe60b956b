/// <reference lib="webworker" />
// The batch worker of the Check SIMs screen: the lanes, krypton-core, sim-check and the S3 client run
// here, so CK, RES, the batch's PIN and the AWS secrets never enter the page. Started only when the
// person opens that screen; the page talks to it through comlink (see batch-api.ts).
import { expose } from 'comlink';
import { Batch } from './batch.ts';

expose(new Batch());
