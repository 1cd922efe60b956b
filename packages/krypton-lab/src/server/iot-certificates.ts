// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';

const generateKeyPairAsync = promisify(generateKeyPair);
const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** A device certificate and its key as AWS IoT's CreateKeysAndCertificate returns them. */
export interface IssuedCertificate {
  certificatePem: string;
  /** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), the form AWS IoT hands out. */
  privateKeyPem: string;
  certificateId: string;
}

/**
 * The lab's stand-in for AWS IoT's certificate authority: a root created at start, and RSA-2048
 * device certificates it signs, so `aws/iot/bootstrap` answers with material that parses and
 * chains like the real thing.
 */
export class IotCertificateAuthority {
  private constructor(
    private readonly caKeys: CryptoKeyPair,
    readonly rootCertificatePem: string,
    private readonly caCert: x509.X509Certificate,
  ) {}

  /** Creates the lab root CA. */
  static async create(): Promise<IotCertificateAuthority> {
    const keys = (await crypto.subtle.generateKey(
      { ...RSA_SIGN, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const now = new Date();
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: 'CN=Krypton Web Lab Root CA, O=Krypton Web Lab',
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000),
      keys,
      signingAlgorithm: RSA_SIGN,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
    });
    return new IotCertificateAuthority(keys, caCert.toString('pem'), caCert);
  }

  /** Issues a device certificate with a new RSA-2048 key pair. */
  async issue(thingName: string): Promise<IssuedCertificate> {
    const { privateKey, publicKey } = (await generateKeyPairAsync('rsa', { modulusLength: 2048 })) as { privateKey: KeyObject; publicKey: KeyObject };
    const publicCryptoKey = await crypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), RSA_SIGN, true, ['verify']);
    const now = new Date();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=AWS IoT Certificate, OU=${thingName}`,
      issuer: this.caCert.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 365 * 86_400_000),
      publicKey: publicCryptoKey,
      signingKey: this.caKeys.privateKey,
      signingAlgorithm: RSA_SIGN,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true)],
    });
    const der = new Uint8Array(cert.rawData);
    const certificateId = Buffer.from(await crypto.subtle.digest('SHA-256', der)).toString('hex');
    return {
      certificatePem: cert.toString('pem'),
      privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      certificateId,
    };
  }
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}
