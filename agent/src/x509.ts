import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import crypto from 'node:crypto';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

export { x509 };
export const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
