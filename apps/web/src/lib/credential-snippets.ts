/** The credentials a snippet carries: only what the person revealed, with the region they are for. */
export interface SnippetCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Left out of the snippet when unknown (credentials straight from Krypton name no identity). */
  region?: string;
}

/** The forms the credentials can be copied in. */
export type SnippetFormat = 'posix' | 'powershell' | 'profile';
export const SNIPPET_FORMATS: readonly SnippetFormat[] = ['posix', 'powershell', 'profile'];

/** The profile name the AWS CLI snippet uses (`aws --profile krypton …`). */
export const PROFILE_NAME = 'krypton';

/** POSIX shell: single quotes keep every character as is; a quote inside is closed, escaped and reopened. */
function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** PowerShell: a single-quoted string takes everything literally; a quote inside is doubled. */
function psQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A value for an INI line: one line, as the AWS CLI reads it (it takes the rest of the line, unquoted). */
function iniValue(value: string): string {
  return value.replace(/[\r\n]+/g, '');
}

const VARIABLES = (c: SnippetCredentials): [string, string][] => [
  ['AWS_ACCESS_KEY_ID', c.accessKeyId],
  ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
  ['AWS_SESSION_TOKEN', c.sessionToken],
  ...(c.region ? [['AWS_REGION', c.region] as [string, string]] : []),
];

/** The region of a Cognito identity id (`ap-northeast-1:…`), where the credentials were issued. */
export function regionOfIdentity(identityId: string | undefined): string | undefined {
  const region = identityId?.split(':')[0];
  return region && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) ? region : undefined;
}

/**
 * The credentials as text to paste: `export` lines for a POSIX shell, `$Env:` lines for PowerShell,
 * or a section for `~/.aws/credentials` (`[krypton]`, with the region, which the CLI reads there too).
 */
export function credentialSnippet(format: SnippetFormat, c: SnippetCredentials): string {
  switch (format) {
    case 'posix':
      return VARIABLES(c)
        .map(([name, value]) => `export ${name}=${shQuote(value)}\n`)
        .join('');
    case 'powershell':
      return VARIABLES(c)
        .map(([name, value]) => `$Env:${name} = ${psQuote(value)}\n`)
        .join('');
    case 'profile':
      return [
        `[${PROFILE_NAME}]`,
        `aws_access_key_id = ${iniValue(c.accessKeyId)}`,
        `aws_secret_access_key = ${iniValue(c.secretAccessKey)}`,
        `aws_session_token = ${iniValue(c.sessionToken)}`,
        ...(c.region ? [`region = ${iniValue(c.region)}`] : []),
        '',
      ].join('\n');
  }
}
