// Preloaded (node --require) into the deploy command by the e2e test of the generic target: any attempt to load
// an AWS SDK module fails loudly, proving that a portable deploy has no AWS dependency.
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (/^@aws-sdk\/|^@smithy\/signature-v4|^@aws-crypto\//.test(request)) {
    throw new Error(`AWS dependency loaded by a portable deploy: ${request}`);
  }
  return resolve.call(this, request, ...rest);
};
