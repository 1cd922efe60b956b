/**
 * How the emulated Krypton may differ from our lab's defaults where SORACOM publishes nothing:
 * the keyId's form, which 2xx it answers, whether `open_id_tokens` carries `region`, how a
 * credentials expiration is written, and how it refuses a key it does not hold. Tests set these
 * through the control API (`POST /_lab/personality`) and run the client against each.
 */
export interface ServerPersonalitySettings {
  /** `uuid` (default) or `special`: keyIds with `:`, `+`, `/`, `=`, `%` and a space, up to 256 characters. */
  keyIds: 'uuid' | 'special';
  /** Status of a successful key-agreement start (SORACOM's clients accept 200 and 401; 201 is a plausible other). */
  startStatus: 200 | 201 | 401;
  /** Status of a successful verify; 204 answers with no body. */
  verifyStatus: 200 | 201 | 204;
  /** Status of a successful provisioning call. */
  provisioningStatus: 200 | 201 | 202;
  /** Whether `aws/cognito/open_id_tokens` carries `region` (otherwise only the identity id's prefix names it). */
  openIdRegion: boolean;
  /** How `aws/cognito/credentials` writes `expiration`: epoch milliseconds (default), epoch seconds, or ISO 8601. */
  expiration: 'ms' | 's' | 'iso';
  /** Status of a signed call naming a key the server does not hold (or has not verified). */
  unknownKeyStatus: 400 | 401 | 403 | 404;
}

const DEFAULTS: ServerPersonalitySettings = {
  keyIds: 'uuid',
  startStatus: 200,
  verifyStatus: 200,
  provisioningStatus: 200,
  openIdRegion: true,
  expiration: 'ms',
  unknownKeyStatus: 401,
};

const ALLOWED: { [K in keyof ServerPersonalitySettings]: readonly ServerPersonalitySettings[K][] } = {
  keyIds: ['uuid', 'special'],
  startStatus: [200, 201, 401],
  verifyStatus: [200, 201, 204],
  provisioningStatus: [200, 201, 202],
  openIdRegion: [true, false],
  expiration: ['ms', 's', 'iso'],
  unknownKeyStatus: [400, 401, 403, 404],
};

/** The lab server's current personality, read on each request; the defaults are the lab's usual behaviour. */
export class ServerPersonality implements ServerPersonalitySettings {
  keyIds = DEFAULTS.keyIds;
  startStatus = DEFAULTS.startStatus;
  verifyStatus = DEFAULTS.verifyStatus;
  provisioningStatus = DEFAULTS.provisioningStatus;
  openIdRegion = DEFAULTS.openIdRegion;
  expiration = DEFAULTS.expiration;
  unknownKeyStatus = DEFAULTS.unknownKeyStatus;

  /** Applies a partial update after checking every field; throws RangeError naming the allowed values. */
  update(patch: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(patch)) {
      if (!Object.hasOwn(ALLOWED, name)) throw new RangeError(`unknown personality setting "${name}"`);
      const allowed = ALLOWED[name as keyof ServerPersonalitySettings] as readonly unknown[];
      if (!allowed.includes(value)) throw new RangeError(`${name}: one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
    }
    Object.assign(this, patch);
  }

  /** Back to the lab's usual behaviour. */
  reset(): void {
    Object.assign(this, DEFAULTS);
  }

  /** The current settings as plain data. */
  snapshot(): ServerPersonalitySettings {
    const { keyIds, startStatus, verifyStatus, provisioningStatus, openIdRegion, expiration, unknownKeyStatus } = this;
    return { keyIds, startStatus, verifyStatus, provisioningStatus, openIdRegion, expiration, unknownKeyStatus };
  }

  /** A new keyId in the current form. */
  newKeyId(): string {
    const uuid = crypto.randomUUID();
    if (this.keyIds === 'uuid') return uuid;
    // Every character that needs care in a URL path, and a literal "%2F" that a second decoding would turn into a slash.
    return `lab:${uuid}+a/b=c%2F%d e`;
  }

  /** A credentials expiration (epoch ms) written in the current form. */
  writeExpiration(ms: number): number | string {
    if (this.expiration === 's') return Math.floor(ms / 1000);
    if (this.expiration === 'iso') return new Date(ms).toISOString();
    return ms;
  }
}
