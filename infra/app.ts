import { StageConfigError } from './config.ts';
import { createApp } from './app-factory.ts';

// Entry point of cdk.json ("node infra/app.ts"): `npx cdk synth|deploy -c stage=<name>`.
try {
  createApp().app.synth();
} catch (error) {
  if (error instanceof StageConfigError) {
    // A configuration mistake: the message names the field; a stack trace would only add noise.
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
