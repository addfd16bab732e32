// Every App a test builds (the product's, via infra/app.ts, and the bare `new App()` of construct tests) skips three
// costs that only serve a deployment or people reading a synth's diagnostics, and that dominate a synth under jest:
// - aws-cdk-lib's built-in CloudFormation validation, a WASM rules engine that takes ~2 s to start in every test file.
//   The product's app turns it off too (infra/app.ts); cfn-lint covers the same ground as its own check.
//   CDK_VALIDATION=false is aws-cdk-lib's documented switch.
// - a creation stack trace per construct, which jest's source-map support makes ~10x slower to capture. It only
//   annotates the cloud assembly's metadata; no template changes.
// - staging (copying) every file asset into the cloud assembly: the kubectl and AWS CLI layers alone are 58 MB per
//   synth, over 500 MB written by a first run. The assets' hashes, and so the templates, stay the same; no test
//   reads an asset's bytes (`npm run synth` and cfn-lint see the staged assembly).
// CDK_CONTEXT_JSON is how the CDK CLI passes context. test/infra/helpers.ts hashes this file into its synth cache's key.
process.env.CDK_VALIDATION = 'false';
process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:disable-creation-stack-traces': true, 'aws:cdk:disable-asset-staging': true });
