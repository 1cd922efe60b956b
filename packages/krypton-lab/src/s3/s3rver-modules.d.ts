// s3rver 3.7.1 ships plain CommonJS without types: what s3rver-server.ts and s3rver-listing.ts
// import is typed there (S3rverConstructor, S3ObjectConstructor), so the modules are opaque here.
declare module 's3rver' {
  const S3rver: unknown;
  export default S3rver;
}
declare module 's3rver/lib/models/object.js' {
  const S3Object: unknown;
  export default S3Object;
}
