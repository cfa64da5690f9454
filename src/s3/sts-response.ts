// Reads RGW's STS answers. RGW answers success in the STS shape
// (<AssumeRoleWithWebIdentityResponse>) but refusals in the S3 shape
// (<Error><Code>AccessDenied</Code>...), which is why SDKs print "(Unknown)".
// The XML parser is loaded only when an STS call is made.
import { fitsFormat, outsideText } from '../outside-text.js';

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Undefined when RGW sent none or an unreadable one. */
  expiration: Date | undefined;
  /** Keycloak's sub as RGW saw it. */
  subject: string | undefined;
}

export interface StsFault {
  code: string;
  message: string;
}

type Xml = Record<string, unknown>;

async function parseXml(body: string): Promise<Xml | undefined> {
  const { XMLParser } = await import('fast-xml-parser');
  try {
    const parsed: unknown = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true }).parse(body, true);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Xml) : undefined;
  } catch {
    return undefined;
  }
}

function child(node: unknown, name: string): unknown {
  return typeof node === 'object' && node !== null ? (node as Xml)[name] : undefined;
}

function text(node: unknown): string | undefined {
  if (typeof node === 'string' && node !== '') return node;
  if (typeof node === 'number') return String(node);
  return undefined;
}

/** What parseCredentials returns for credentials whose values do not fit their format. */
export const MALFORMED = 'malformed';

/**
 * The credentials of a 2xx answer; undefined when the body does not hold them,
 * MALFORMED when one of them is not one word of visible ASCII of a sane length:
 * such a value would be printed (an add-mask line, `keycloak-token
 * aws-credentials`) and could carry a workflow command, so it is never used
 * and never shown.
 */
export async function parseCredentials(body: string): Promise<TemporaryCredentials | typeof MALFORMED | undefined> {
  const result = child(child(await parseXml(body), 'AssumeRoleWithWebIdentityResponse'), 'AssumeRoleWithWebIdentityResult');
  const credentials = child(result, 'Credentials');
  const accessKeyId = text(child(credentials, 'AccessKeyId'));
  const secretAccessKey = text(child(credentials, 'SecretAccessKey'));
  const sessionToken = text(child(credentials, 'SessionToken'));
  if (accessKeyId === undefined || secretAccessKey === undefined || sessionToken === undefined) return undefined;
  if (!fitsFormat(accessKeyId, 'accessKeyId') || !fitsFormat(secretAccessKey, 'secretAccessKey') || !fitsFormat(sessionToken, 'sessionToken')) return MALFORMED;
  const expiration = text(child(credentials, 'Expiration'));
  const date = expiration === undefined ? undefined : new Date(expiration);
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken,
    expiration: date === undefined || Number.isNaN(date.getTime()) ? undefined : date,
    subject: optionalOutsideText(text(child(result, 'SubjectFromWebIdentityToken'))),
  };
}

/** The code and message of an S3-shaped or STS-shaped error body. */
export async function parseFault(body: string): Promise<StsFault | undefined> {
  const xml = await parseXml(body);
  const error = child(xml, 'Error') ?? child(child(xml, 'ErrorResponse'), 'Error');
  const code = text(child(error, 'Code'));
  if (code === undefined) return undefined;
  return { code: outsideText(code, 80), message: outsideText(text(child(error, 'Message')) ?? '') };
}

function optionalOutsideText(value: string | undefined): string | undefined {
  return value === undefined ? undefined : outsideText(value, 200);
}
