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
  // The Java client's tenth operation; the Go client lacks it.
  bootstrapAzureIotDevice: {
    description: 'Bootstrap the device for Azure IoT Hub (X.509 certificate and hub assignment)',
    path: () => 'azure/iot/bootstrap',
    required: [],
  },
} as const satisfies Record<string, OperationSpec>;

/** The name of a Krypton operation. */
export type OperationName = keyof typeof OPERATIONS;

/** Every operation name, sorted as the CLIs list them. */
export const OPERATION_NAMES = (Object.keys(OPERATIONS) as OperationName[]).sort();

const BY_LOWER_CASE = new Map<string, OperationName>(OPERATION_NAMES.map((n) => [n.toLowerCase(), n]));

/** The canonical name of an operation given in any case (`getUserdata` → `getUserData`), as the Java client accepts them. */
export function canonicalOperationName(name: string): OperationName | undefined {
  return BY_LOWER_CASE.get(name.toLowerCase());
}

/** Looks an operation up by name (any case), or explains which names exist. */
export function operationSpec(name: string): OperationSpec {
  const canonical = canonicalOperationName(name);
  if (!canonical) {
    throw new KryptonError('BAD_INPUT', `Unknown operation "${name}"`, `Use one of: ${OPERATION_NAMES.join(', ')}`);
  }
  return OPERATIONS[canonical];
}

// Segments as SORACOM's paths spell them; `%` lets a caller pass an id it percent-encoded itself.
const PATH_SEGMENT = /^[A-Za-z0-9._~%:@!$&'()*+,;=-]+$/;

/**
 * A provisioning path given by hand (`-operation-path`), below /v1/provisioning/: `aws/iot/ca_certificate`,
 * with or without a leading `/` or `/v1/provisioning/`. Refuses what would leave the provisioning API
 * (dot segments, a query, a fragment, an empty segment).
 */
export function provisioningPath(path: string): string {
  const trimmed = path
    .trim()
    .replace(/^\/+/, '')
    .replace(/^v1\/provisioning\//, '');
  const segments = trimmed.split('/');
  const ok =
    trimmed.length > 0 &&
    trimmed.length <= 512 &&
    segments.every(
      (s) => PATH_SEGMENT.test(s) && s !== '.' && s !== '..' && !/%(?![0-9A-Fa-f]{2})/.test(s) && !/^(?:%2e|\.){1,2}$/i.test(s),
    );
  if (!ok) {
    throw new KryptonError(
      'BAD_INPUT',
      `"${path}" is not a provisioning path`,
      'Give the path below /v1/provisioning/, e.g. aws/iot/ca_certificate (letters, digits and - _ . ~ : between slashes)',
    );
  }
  return trimmed;
}

/** The spec of a provisioning call by path (`-operation-path`): no required parameters, the answer passed on as text. */
export function pathOperationSpec(path: string): OperationSpec {
  const checked = provisioningPath(path);
  return { description: `POST /v1/provisioning/${checked}`, path: () => checked, required: [], textAnswer: true };
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
