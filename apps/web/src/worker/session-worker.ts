/// <reference lib="webworker" />
// The session worker: krypton-core, the SIM links and the AWS SDK live here, so CK and the AWS
// secrets never enter the page's JavaScript. The page talks to it through comlink (see api.ts).
import { expose } from 'comlink';
import { Session } from './session.ts';

expose(new Session());
