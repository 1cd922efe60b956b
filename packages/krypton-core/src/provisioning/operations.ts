import { KryptonError } from '../errors/index.ts';

/** Parameters of an operation, as JSON (`-params` of SORACOM's CLIs). */
export type OperationParams = Record<string, unknown>;

/** One provisioning operation: its path under /v1/provisioning/ and what it needs. */
export interface OperationSpec {
  /** What the operation does, for help texts and UIs. */
  description: string;
  /** The path below /v1/provisioning/ for these parameters. */
  path(params: OperationParams): string;
  /** Parameters the server requires; checked before any SIM work starts. */
  required: readonly string[];
  /** Whether the answer is text (userdata is returned exactly as configured) rather than JSON. */
  textAnswer?: boolean;
  /** Parameters SORACOM's Go client sends at the top level of the body rather than in requestParameters. */
  topLevel?: readonly string[];
}

/** Every operation of SORACOM Krypton, by the names SORACOM's CLIs use (`-operation`). */
export const OPERATIONS = {
  generateAmazonCognitoOpenIdToken: {
    description: 'Generate an Amazon Cognito OpenID token for the SIM',
    path: () => 'aws/cognito/open_id_tokens',
    required: [],
  },
  generateAmazonCognitoSessionCredentials: {
    description: 'Generate temporary AWS credentials through Amazon Cognito',
    path: () => 'aws/cognito/credentials',
    required: [],
  },
  getSubscriberMetadata: {
    description: "Get the subscriber's metadata (IMSI, MSISDN, group, tags, ...)",
    path: () => 'soracom/air/subscriber_metadata',
    required: [],
  },
  getUserData: {
    description: "Get the userdata of the SIM's group",
    path: () => 'soracom/air/userdata',
    required: [],
    textAnswer: true,
  },
  bootstrapAwsIotThing: {
    description: 'Bootstrap the device as an AWS IoT thing (certificate and private key)',
    path: () => 'aws/iot/bootstrap',
    required: [],
  },
  bootstrapInventoryDevice: {
    description: 'Bootstrap the device for SORACOM Inventory (LwM2M)',
    path: () => 'soracom/inventory/bootstrap',
    required: ['endpoint'],
    topLevel: ['endpoint'],
  },
  bootstrapArc: {
    description: 'Bootstrap a SORACOM Arc virtual SIM (WireGuard configuration)',
    path: () => 'soracom/arc/bootstrap',
    required: [],
  },
  registerAzureIotDevice: {
    description: 'Register the device with Azure IoT Hub Device Provisioning',
    path: () => 'azure/iot/register',
    required: [],
  },
  getAzureIotDeviceRegistrationStatus: {
    description: 'Get the status of an Azure IoT device registration',
    path: (p) => `azure/iot/registrations/${encodeURIComponent(String(p.operationId))}`,
    required: ['operationId'],
  },
} as const satisfies Record<string, OperationSpec>;

/** The name of a Krypton operation. */
export type OperationName = keyof typeof OPERATIONS;

/** Every operation name, sorted as the CLIs list them. */
export const OPERATION_NAMES = (Object.keys(OPERATIONS) as OperationName[]).sort();

/** Looks an operation up by name, or explains which names exist. */
export function operationSpec(name: string): OperationSpec {
  if (!Object.hasOwn(OPERATIONS, name)) {
    throw new KryptonError('BAD_INPUT', `Unknown operation "${name}"`, `Use one of: ${OPERATION_NAMES.join(', ')}`);
  }
  return OPERATIONS[name as OperationName];
}

/** Checks an operation's required parameters before any SIM or network work starts. */
export function checkParams(name: string, spec: OperationSpec, params: OperationParams): void {
  for (const key of spec.required) {
    const v = params[key];
    if (typeof v !== 'string' || v.length === 0) {
      throw new KryptonError('BAD_INPUT', `${name} needs the parameter "${key}"`, `Add it to the parameters, e.g. {"${key}": "..."}`);
    }
  }
}

/** The request body SORACOM's Go client sends: keyId, top-level parameters, then requestParameters. */
export function goBody(keyId: string | undefined, spec: OperationSpec, params: OperationParams): string {
  const body: Record<string, unknown> = {};
  if (keyId !== undefined) body.keyId = keyId;
  const rest: OperationParams = {};
  for (const [k, v] of Object.entries(params)) {
    if (spec.topLevel?.includes(k)) body[k] = v;
    else rest[k] = v;
  }
  body.requestParameters = Object.keys(rest).length > 0 ? rest : null;
  return JSON.stringify(body);
}
