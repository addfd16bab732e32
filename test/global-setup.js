// Builds dist/ once per jest run (esbuild, ~0.1 s): the infrastructure tests synthesize the prebuilt Lambda asset.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'build.mjs')], { stdio: 'inherit' });
};
