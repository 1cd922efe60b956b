/**
 * S3's error responses: the codes, HTTP statuses and messages real S3 sends, rendered as the
 * same `<Error>` XML so SDKs and browsers parse the lab's refusals exactly as AWS's.
 */
import { randomBytes } from 'node:crypto';

/** The S3 error codes the gate itself produces (s3rver produces others, which pass through). */
export type S3ErrorCode =
  | 'AccessDenied'
  | 'AuthorizationHeaderMalformed'
  | 'AuthorizationQueryParametersError'
  | 'BadDigest'
  | 'EntityTooSmall'
  | 'ExpiredToken'
  | 'InternalError'
  | 'InvalidAccessKeyId'
  | 'InvalidArgument'
  | 'InvalidDigest'
  | 'InvalidObjectState'
  | 'InvalidPartNumber'
  | 'InvalidPart'
  | 'InvalidPartOrder'
  | 'InvalidRange'
  | 'InvalidRequest'
  | 'InvalidToken'
  | 'InvalidURI'
  | 'MalformedXML'
  | 'MethodNotAllowed'
  | 'NoSuchBucket'
  | 'PreconditionFailed'
  | 'NoSuchUpload'
  | 'RequestTimeTooSkewed'
  | 'ServiceUnavailable'
  | 'SignatureDoesNotMatch'
  | 'SlowDown'
  | 'XAmzContentSHA256Mismatch';

// Statuses from https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html.
const STATUS: Record<S3ErrorCode, number> = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  EntityTooSmall: 400,
  ExpiredToken: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidDigest: 400,
  InvalidObjectState: 403,
  InvalidPartNumber: 416,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidToken: 400,
  InvalidURI: 400,
  MalformedXML: 400,
  MethodNotAllowed: 405,
  NoSuchBucket: 404,
  PreconditionFailed: 412,
  NoSuchUpload: 404,
  RequestTimeTooSkewed: 403,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
};

/** An S3 error response: code, HTTP status, message and the extra elements S3 adds to `<Error>`. */
export class S3Error extends Error {
  override readonly name = 'S3Error';
  readonly status: number;

  constructor(
    readonly code: S3ErrorCode,
    message: string,
    /** Extra child elements of `<Error>`, in order (e.g. `AWSAccessKeyId`, `StringToSign`). */
    readonly detail: Readonly<Record<string, string>> = {},
    /** Overrides S3's status for the code (only injected faults do). */
    status?: number,
  ) {
    super(message);
    this.status = status ?? STATUS[code];
  }

  /** The XML body S3 sends for this error, ending with the request ids. */
  toXml(ids: RequestIds): string {
    const children = [
      element('Code', this.code),
      element('Message', this.message),
      ...Object.entries(this.detail).map(([name, value]) => element(name, value)),
      element('RequestId', ids.requestId),
      element('HostId', ids.hostId),
    ];
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${children.join('')}</Error>`;
  }
}

/** The pair of ids S3 puts in `x-amz-request-id` / `x-amz-id-2` and in every error body. */
export interface RequestIds {
  requestId: string;
  hostId: string;
}

/** Fresh ids shaped like S3's (16 upper-case hex characters; a base64 host id). */
export function newRequestIds(): RequestIds {
  return { requestId: randomBytes(8).toString('hex').toUpperCase(), hostId: randomBytes(48).toString('base64') };
}

/** Escapes text for an XML element body. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch] ?? ch);
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function element(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}
