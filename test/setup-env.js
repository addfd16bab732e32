// Every App a test builds (the product's, via infra/app.ts, and the bare `new App()` of construct tests) skips two
// costs that only serve people reading a synth's diagnostics, and that dominate a synth under jest:
// - aws-cdk-lib's built-in CloudFormation validation, a WASM rules engine that takes ~2 s to start in every test file.
//   The product's app turns it off too (infra/app.ts); cfn-lint covers the same ground as its own check.
//   CDK_VALIDATION=false is aws-cdk-lib's documented switch.
// - a creation stack trace per construct, which jest's source-map support makes ~10x slower to capture. It only
//   annotates the cloud assembly's metadata; no template changes. CDK_CONTEXT_JSON is how the CDK CLI passes context.
process.env.CDK_VALIDATION = 'false';
process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:disable-creation-stack-traces': true });
