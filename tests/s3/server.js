'use strict';
// The S3-compatible server `make test` runs the blob suite against: s3rver, plus the one thing it lacks.
// s3rver does not check SigV4 signatures and serves anonymous requests, so a presigned URL with an edited signature
// (or none) would still download. Real S3 refuses both; so does this wrapper, which makes the suite show that our
// presigned URLs are validly signed for the endpoint and region, and that tampered ones are refused.
//
// Usage: node server.js DATA_DIR PORTFILE [PORT] — listens on loopback (PORT, or a free port) and writes the port to
// PORTFILE. Started again with the same DATA_DIR and PORT, it serves the objects it stored before (outage tests).
const crypto = require('crypto');
const fs = require('fs');
const S3rver = require('s3rver');

const [, , directory, portFile, fixedPort] = process.argv;
if (!directory || !portFile) {
  console.error('usage: node server.js DATA_DIR PORTFILE');
  process.exit(2);
}
// s3rver's built-in account; the tests use the same pair.
const accessKey = 'S3RVER';
const secretKey = 'S3RVER';

// RFC 3986 encoding, as SigV4 canonicalises query names and values.
const encode = s =>
  encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const hmac = (key, text) => crypto.createHmac('sha256', key).update(text, 'utf8').digest();
const sha256 = text => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** Returns null when the request carries a valid SigV4 signature (header or presigned query), else the reason. */
function checkSignature(req) {
  const url = new URL(req.url, 'http://placeholder');
  const params = [...url.searchParams];
  let credential, signedHeaders, signature, amzDate, payloadHash, signedParams;
  if (url.searchParams.has('X-Amz-Signature')) {
    credential = url.searchParams.get('X-Amz-Credential') || '';
    signedHeaders = url.searchParams.get('X-Amz-SignedHeaders') || '';
    signature = url.searchParams.get('X-Amz-Signature');
    amzDate = url.searchParams.get('X-Amz-Date') || '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    signedParams = params.filter(([name]) => name !== 'X-Amz-Signature');
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    const expires = Number(url.searchParams.get('X-Amz-Expires'));
    if (!m || !Number.isFinite(expires)) return 'malformed presigned URL';
    const signedAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    if (Date.now() > signedAt + expires * 1000) return 'Request has expired';
  } else if ((req.headers.authorization || '').startsWith('AWS4-HMAC-SHA256 ')) {
    const fields = Object.fromEntries(
      req.headers.authorization
        .slice('AWS4-HMAC-SHA256 '.length)
        .split(',')
        .map(part => part.trim().split('=')),
    );
    ({ Credential: credential, SignedHeaders: signedHeaders, Signature: signature } = fields);
    amzDate = req.headers['x-amz-date'] || '';
    payloadHash = req.headers['x-amz-content-sha256'] || '';
    signedParams = params;
  } else {
    return 'anonymous access is not allowed';
  }
  if (!credential || !signedHeaders || !signature) return 'malformed signature';
  const [keyId, date, region, service] = credential.split('/');
  if (keyId !== accessKey) return 'unknown access key';

  const canonicalQuery = signedParams
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .split(';')
    .map(h => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  // S3 signs the path as sent (already encoded once, not twice).
  const path = req.url.split('?')[0];
  const canonicalRequest = [req.method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + secretKey, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign).toString('hex');
  const given = Buffer.from(signature, 'utf8');
  return given.length === expected.length && crypto.timingSafeEqual(given, Buffer.from(expected, 'utf8'))
    ? null
    : 'SignatureDoesNotMatch';
}

const server = new S3rver({ address: '127.0.0.1', port: Number(fixedPort || 0), directory, silent: true });
// Koa composes its middleware when it starts listening, so this check runs before any of s3rver's own.
server.middleware.unshift(async (ctx, next) => {
  const problem = checkSignature(ctx.req);
  if (problem) {
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${problem}</Message></Error>`;
    return;
  }
  await next();
});

server.run().then(({ port }) => {
  fs.writeFileSync(portFile, String(port));
  console.log(`s3rver listening on http://127.0.0.1:${port} (data in ${directory})`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
