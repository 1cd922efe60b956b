import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type * as X509 from '@peculiar/x509';

const generateKeyPairAsync = promisify(generateKeyPair);
const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** A device certificate and its key as AWS IoT's CreateKeysAndCertificate returns them. */
export interface IssuedCertificate {
  certificatePem: string;
  /** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), the form AWS IoT hands out. */
  privateKeyPem: string;
  certificateId: string;
}

/** The root: its key, its certificate, and the x509 library that made them. */
interface Root {
  x509: typeof X509;
  caKeys: CryptoKeyPair;
  caCert: X509.X509Certificate;
  pem: string;
}

/** @peculiar/x509 (with the Reflect metadata API its tsyringe container needs), loaded on first use. */
async function loadX509(): Promise<typeof X509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

/**
 * The lab's stand-in for AWS IoT's certificate authority: a root, and RSA-2048 device certificates
 * it signs, so `aws/iot/bootstrap` answers with material that parses and chains like the real
 * thing. The root is made on the first bootstrap: a lab that never bootstraps a thing (most demo
 * runs) does not pay for an RSA key and x509 at start.
 */
export class IotCertificateAuthority {
  #root: Promise<Root> | undefined;
  /** Issued certificates by id, so `aws/iot/certificates/{id}` can answer them again. */
  readonly #issued = new Map<string, string>();

  /** Creates the lab root CA (made on first use). */
  static async create(): Promise<IotCertificateAuthority> {
    return new IotCertificateAuthority();
  }

  /** A certificate this CA issued, PEM, by its id. */
  issuedCertificatePem(certificateId: string): string | undefined {
    return this.#issued.get(certificateId);
  }

  /** The root certificate, PEM. */
  async rootCertificatePem(): Promise<string> {
    return (await this.root()).pem;
  }

  private root(): Promise<Root> {
    if (!this.#root) {
      const made = makeRoot();
      // A failed root is made again on the next bootstrap.
      made.catch(() => {
        if (this.#root === made) this.#root = undefined;
      });
      this.#root = made;
    }
    return this.#root;
  }

  /** Issues a device certificate with a new RSA-2048 key pair. */
  async issue(thingName: string): Promise<IssuedCertificate> {
    const { x509, caKeys, caCert } = await this.root();
    const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
    const publicCryptoKey = await crypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), RSA_SIGN, true, [
      'verify',
    ]);
    const now = new Date();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=AWS IoT Certificate, OU=${thingName}`,
      issuer: caCert.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 365 * 86_400_000),
      publicKey: publicCryptoKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: RSA_SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      ],
    });
    const der = new Uint8Array(cert.rawData);
    const certificateId = Buffer.from(await crypto.subtle.digest('SHA-256', der)).toString('hex');
    this.#issued.set(certificateId, cert.toString('pem'));
    return {
      certificatePem: cert.toString('pem'),
      privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      certificateId,
    };
  }
}

/** Creates the lab root CA. */
async function makeRoot(): Promise<Root> {
  const x509 = await loadX509();
  const keys = await crypto.subtle.generateKey({ ...RSA_SIGN, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, false, [
    'sign',
    'verify',
  ]);
  const now = new Date();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=Krypton Web Lab Root CA, O=Krypton Web Lab',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000),
    keys,
    signingAlgorithm: RSA_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { x509, caKeys: keys, caCert, pem: caCert.toString('pem') };
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}
